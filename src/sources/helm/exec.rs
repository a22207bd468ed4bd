//! Executes parsed templates as Go's text/template does with Helm's options: a missing map key
//! is nil and prints as nothing, `include` and `tpl` render into strings, and every render is
//! bounded (steps, output size, include depth) so a hostile or looping chart ends in an error,
//! never a hang.

use super::funcs;
use super::template::{self, Arg, Node, Pipe};
use super::value::V;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Deeper values than this are not walked (a dict can be `set` into itself).
pub const MAX_VALUE_DEPTH: usize = 100;
/// Nested `include`/`template`/`tpl` calls; Helm stops recursion at 1000, real charts use < 10.
const MAX_CALL_DEPTH: usize = 100;
/// Actions and range iterations per rendered file.
const MAX_STEPS: usize = 2_000_000;
/// Bytes one rendered file (or one `include`) may produce.
pub const MAX_OUTPUT: usize = 8 * 1024 * 1024;

/// A render error: where (file and line of the action) and what.
#[derive(Debug, Clone)]
pub struct ExecError {
    pub file: Rc<str>,
    pub line: u32,
    pub message: String,
}

/// The templates a chart (and its subcharts) define, shared by every file it renders.
#[derive(Default)]
pub struct Defines {
    pub by_name: BTreeMap<String, (Rc<Vec<Node>>, Rc<str>)>,
}

/// Reads chart files for `.Files`.
pub trait FileSource {
    fn get(&self, path: &str) -> Option<String>;
    fn glob(&self, pattern: &str) -> Vec<String>;
}

enum Flow {
    Break,
    Continue,
    Fail(ExecError),
}

impl From<ExecError> for Flow {
    fn from(e: ExecError) -> Flow {
        Flow::Fail(e)
    }
}

/// Rendered text and, for each output line, the template line that produced it.
#[derive(Default)]
pub struct Output {
    pub text: String,
    pub lines: Vec<u32>,
    track: bool,
    at_line_start: bool,
}

impl Output {
    fn new(track: bool) -> Output {
        Output {
            text: String::new(),
            lines: Vec::new(),
            track,
            at_line_start: true,
        }
    }

    fn write(&mut self, s: &str, mut line: u32, advance: bool) -> Result<(), String> {
        if self.text.len() + s.len() > MAX_OUTPUT {
            return Err(format!(
                "the rendered output passes {} MB: not rendered further",
                MAX_OUTPUT / (1024 * 1024)
            ));
        }
        if !self.track {
            self.text.push_str(s);
            return Ok(());
        }
        for c in s.chars() {
            if self.at_line_start {
                self.lines.push(line);
                self.at_line_start = false;
            }
            self.text.push(c);
            if c == '\n' {
                self.at_line_start = true;
                if advance {
                    line += 1;
                }
            }
        }
        Ok(())
    }
}

pub struct Engine<'a> {
    pub defines: &'a Defines,
    pub files: &'a dyn FileSource,
    steps: usize,
    depth: usize,
    /// The line of the rendered file's own action being executed, so an error inside an
    /// `include`d helper is also reported where the file calls it.
    pub top_line: u32,
}

struct Frame {
    vars: Vec<(String, V)>,
    file: Rc<str>,
}

impl<'a> Engine<'a> {
    pub fn new(defines: &'a Defines, files: &'a dyn FileSource) -> Engine<'a> {
        Engine {
            defines,
            files,
            steps: 0,
            depth: 0,
            top_line: 0,
        }
    }

    /// Renders a file's root nodes with `data` as dot and `$`.
    pub fn render(&mut self, file: Rc<str>, nodes: &[Node], data: &V) -> Result<Output, ExecError> {
        self.steps = 0;
        let mut out = Output::new(true);
        let mut frame = Frame {
            vars: vec![("$".to_string(), data.clone())],
            file: file.clone(),
        };
        match self.list(nodes, data, &mut frame, &mut out) {
            Ok(()) => Ok(out),
            Err(Flow::Fail(e)) => Err(e),
            Err(_) => Err(ExecError {
                file,
                line: 0,
                message: "break or continue outside a range".into(),
            }),
        }
    }

    fn fail(&self, frame: &Frame, line: u32, message: impl Into<String>) -> Flow {
        Flow::Fail(ExecError {
            file: frame.file.clone(),
            line,
            message: message.into(),
        })
    }

    fn step(&mut self, frame: &Frame, line: u32) -> Result<(), Flow> {
        if self.depth == 0 {
            self.top_line = line;
        }
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(self.fail(
                frame,
                line,
                format!("more than {MAX_STEPS} steps: the template loops too long"),
            ));
        }
        Ok(())
    }

    fn list(
        &mut self,
        nodes: &[Node],
        dot: &V,
        frame: &mut Frame,
        out: &mut Output,
    ) -> Result<(), Flow> {
        let mark = frame.vars.len();
        let result = self.list_inner(nodes, dot, frame, out);
        frame.vars.truncate(mark);
        result
    }

    fn list_inner(
        &mut self,
        nodes: &[Node],
        dot: &V,
        frame: &mut Frame,
        out: &mut Output,
    ) -> Result<(), Flow> {
        for node in nodes {
            match node {
                Node::Text(text, line) => {
                    out.write(text, *line, true)
                        .map_err(|m| self.fail(frame, *line, m))?;
                }
                Node::Action(pipe) => {
                    self.step(frame, pipe.line)?;
                    let value = self.pipe(pipe, dot, frame)?;
                    if pipe.vars.is_empty() {
                        out.write(&value.to_text(), pipe.line, false)
                            .map_err(|m| self.fail(frame, pipe.line, m))?;
                    }
                }
                Node::If(branches, otherwise) => {
                    let mut done = false;
                    for (cond, body) in branches {
                        self.step(frame, cond.line)?;
                        let mark = frame.vars.len();
                        let value = self.pipe(cond, dot, frame)?;
                        if value.truthy() {
                            let r = self.list(body, dot, frame, out);
                            frame.vars.truncate(mark);
                            r?;
                            done = true;
                            break;
                        }
                        frame.vars.truncate(mark);
                    }
                    if !done {
                        self.list(otherwise, dot, frame, out)?;
                    }
                }
                Node::With(branches, otherwise) => {
                    let mut done = false;
                    for (cond, body) in branches {
                        self.step(frame, cond.line)?;
                        let mark = frame.vars.len();
                        let value = self.pipe(cond, dot, frame)?;
                        if value.truthy() {
                            let r = self.list(body, &value, frame, out);
                            frame.vars.truncate(mark);
                            r?;
                            done = true;
                            break;
                        }
                        frame.vars.truncate(mark);
                    }
                    if !done {
                        self.list(otherwise, dot, frame, out)?;
                    }
                }
                Node::Range(pipe, body, otherwise) => {
                    self.range(pipe, body, otherwise, dot, frame, out)?;
                }
                Node::Template(name, pipe, line) => {
                    self.step(frame, *line)?;
                    let arg = match pipe {
                        Some(p) => self.pipe(p, dot, frame)?,
                        None => V::Nil,
                    };
                    let text = self.call_define(name, &arg, frame, *line)?;
                    out.write(&text, *line, false)
                        .map_err(|m| self.fail(frame, *line, m))?;
                }
                Node::Break(_) => return Err(Flow::Break),
                Node::Continue(_) => return Err(Flow::Continue),
            }
        }
        Ok(())
    }

    fn range(
        &mut self,
        pipe: &Pipe,
        body: &[Node],
        otherwise: &[Node],
        dot: &V,
        frame: &mut Frame,
        out: &mut Output,
    ) -> Result<(), Flow> {
        // The range's own variables are set per iteration, not declared by the pipeline.
        let bare = Pipe {
            vars: Vec::new(),
            declare: false,
            ..pipe.clone()
        };
        let value = self.pipe(&bare, dot, frame)?;
        let items: Vec<(V, V)> = match &value {
            V::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (V::Int(i as i64), v.clone()))
                .collect(),
            V::Map(m) => m
                .borrow()
                .iter()
                .map(|(k, v)| (V::Str(k.clone()), v.clone()))
                .collect(),
            V::Int(n) => {
                if *n as usize > MAX_STEPS {
                    return Err(self.fail(
                        frame,
                        pipe.line,
                        format!("range over {n}: too many iterations"),
                    ));
                }
                (0..*n).map(|i| (V::Int(i), V::Int(i))).collect()
            }
            V::Nil => Vec::new(),
            other => {
                return Err(self.fail(
                    frame,
                    pipe.line,
                    format!("range can't iterate over {}", other.to_text()),
                ));
            }
        };
        if items.is_empty() {
            return self.list(otherwise, dot, frame, out);
        }
        for (key, item) in items {
            self.step(frame, pipe.line)?;
            let mark = frame.vars.len();
            match pipe.vars.as_slice() {
                [] => {}
                [v] => frame.vars.push((v.clone(), item.clone())),
                [k, v, ..] => {
                    frame.vars.push((k.clone(), key));
                    frame.vars.push((v.clone(), item.clone()));
                }
            }
            let r = self.list(body, &item, frame, out);
            frame.vars.truncate(mark);
            match r {
                Ok(()) | Err(Flow::Continue) => {}
                Err(Flow::Break) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Renders a named template into a string, with `arg` as its dot and `$`.
    fn call_define(
        &mut self,
        name: &str,
        arg: &V,
        frame: &Frame,
        line: u32,
    ) -> Result<String, Flow> {
        let Some((nodes, file)) = self.defines.by_name.get(name) else {
            return Err(self.fail(
                frame,
                line,
                format!("no template {name:?} associated with template"),
            ));
        };
        if self.depth >= MAX_CALL_DEPTH {
            return Err(self.fail(
                frame,
                line,
                format!("template {name:?} nests more than {MAX_CALL_DEPTH} calls deep"),
            ));
        }
        self.depth += 1;
        let mut inner = Frame {
            vars: vec![("$".to_string(), arg.clone())],
            file: file.clone(),
        };
        let mut out = Output::new(false);
        let r = self.list(&nodes.clone(), arg, &mut inner, &mut out);
        self.depth -= 1;
        match r {
            Ok(()) => Ok(out.text),
            Err(Flow::Fail(e)) => Err(Flow::Fail(e)),
            Err(_) => Err(self.fail(frame, line, "break or continue outside a range")),
        }
    }

    /// `tpl`: a string rendered as a template, with the chart's defines.
    fn tpl(&mut self, text: &str, arg: &V, frame: &Frame, line: u32) -> Result<String, Flow> {
        let parsed = template::parse(text).map_err(|e| {
            self.fail(
                frame,
                line,
                format!("tpl: line {} of the string: {}", e.line, e.message),
            )
        })?;
        if self.depth >= MAX_CALL_DEPTH {
            return Err(self.fail(frame, line, "tpl nests too deep"));
        }
        self.depth += 1;
        let mut inner = Frame {
            vars: vec![("$".to_string(), arg.clone())],
            file: frame.file.clone(),
        };
        let mut out = Output::new(false);
        // A `define` in the string is visible only to that string.
        let r = if parsed.defines.is_empty() {
            self.list(&parsed.root, arg, &mut inner, &mut out)
        } else {
            let mut defines = Defines::default();
            defines.by_name = self.defines.by_name.clone();
            for (name, nodes) in parsed.defines {
                defines.by_name.insert(name, (nodes, frame.file.clone()));
            }
            let mut engine = Engine {
                defines: &defines,
                files: self.files,
                steps: self.steps,
                depth: self.depth,
                top_line: self.top_line,
            };
            let r = engine.list(&parsed.root, arg, &mut inner, &mut out);
            self.steps = engine.steps;
            r
        };
        self.depth -= 1;
        match r {
            Ok(()) => Ok(out.text),
            Err(Flow::Fail(e)) => Err(Flow::Fail(e)),
            Err(_) => Err(self.fail(frame, line, "break or continue outside a range")),
        }
    }

    fn pipe(&mut self, pipe: &Pipe, dot: &V, frame: &mut Frame) -> Result<V, Flow> {
        let mut value: Option<V> = None;
        for cmd in &pipe.cmds {
            value = Some(self.command(cmd, value, dot, frame, pipe.line)?);
        }
        let value = value.unwrap_or(V::Nil);
        if !pipe.vars.is_empty() {
            if pipe.declare {
                for v in &pipe.vars {
                    frame.vars.push((v.clone(), value.clone()));
                }
            } else {
                for v in &pipe.vars {
                    match frame.vars.iter_mut().rev().find(|(n, _)| n == v) {
                        Some(slot) => slot.1 = value.clone(),
                        None => {
                            return Err(self.fail(
                                frame,
                                pipe.line,
                                format!("undefined variable: {v}"),
                            ));
                        }
                    }
                }
            }
        }
        Ok(value)
    }

    fn command(
        &mut self,
        cmd: &[Arg],
        piped: Option<V>,
        dot: &V,
        frame: &mut Frame,
        line: u32,
    ) -> Result<V, Flow> {
        let Some(head) = cmd.first() else {
            return Err(self.fail(frame, line, "empty command"));
        };
        match head {
            Arg::Ident(name) => self.call(name, &cmd[1..], piped, dot, frame, line),
            // A method call: `.Files.Get "x"`, `.Capabilities.APIVersions.Has "x"`.
            Arg::Field(fields) | Arg::Var(_, fields) if cmd.len() > 1 || piped.is_some() => {
                let Some((method, path)) = fields.split_last() else {
                    return Err(self.fail(frame, line, "can't give argument to non-function"));
                };
                let receiver = match head {
                    Arg::Var(name, _) => {
                        let base = self.var(name, frame, line)?;
                        self.fields(base, name, path, frame, line)?
                    }
                    _ => self.fields(dot.clone(), "", path, frame, line)?,
                };
                let mut args = Vec::new();
                for a in &cmd[1..] {
                    args.push(self.arg(a, dot, frame, line)?);
                }
                args.extend(piped);
                self.method(&receiver, method, args, frame, line)
            }
            _ => {
                if cmd.len() > 1 || piped.is_some() {
                    return Err(self.fail(frame, line, "can't give argument to non-function"));
                }
                self.arg(head, dot, frame, line)
            }
        }
    }

    fn method(
        &mut self,
        receiver: &V,
        method: &str,
        args: Vec<V>,
        frame: &Frame,
        line: u32,
    ) -> Result<V, Flow> {
        let text_arg = |i: usize| match args.get(i) {
            Some(V::Str(s)) => Some(s.clone()),
            _ => None,
        };
        match (receiver, method) {
            (V::Files, "Get") => {
                let path = text_arg(0).unwrap_or_default();
                Ok(V::Str(self.files.get(&path).unwrap_or_default()))
            }
            (V::Files, "GetBytes") => {
                let path = text_arg(0).unwrap_or_default();
                Ok(V::Str(self.files.get(&path).unwrap_or_default()))
            }
            (V::Files, "Lines") => {
                let path = text_arg(0).unwrap_or_default();
                let text = self.files.get(&path).unwrap_or_default();
                Ok(V::list(text.lines().map(V::str).collect()))
            }
            (V::Files, "Glob") => {
                let pattern = text_arg(0).unwrap_or_default();
                let mut map = BTreeMap::new();
                for path in self.files.glob(&pattern) {
                    let text = self.files.get(&path).unwrap_or_default();
                    map.insert(path, V::Str(text));
                }
                Ok(V::map(map))
            }
            (V::Map(m), "AsConfig") | (V::Map(m), "AsSecrets") => {
                // `(.Files.Glob "x/*").AsConfig`: file names to contents, as YAML.
                let secrets = method == "AsSecrets";
                let mut out = BTreeMap::new();
                for (path, text) in m.borrow().iter() {
                    let name = path.rsplit('/').next().unwrap_or(path).to_string();
                    let text = text.to_text();
                    let value = if secrets { funcs::b64(&text) } else { text };
                    out.insert(name, V::Str(value));
                }
                Ok(V::Str(
                    funcs::to_yaml(&V::map(out)).map_err(|m| self.fail(frame, line, m))?,
                ))
            }
            (V::ApiVersions, "Has") => {
                let wanted = text_arg(0).unwrap_or_default();
                Ok(V::Bool(funcs::API_VERSIONS.iter().any(|v| *v == wanted)))
            }
            _ => Err(self.fail(
                frame,
                line,
                format!("{method} is not a method of {}", receiver.type_name()),
            )),
        }
    }

    fn var(&self, name: &str, frame: &Frame, line: u32) -> Result<V, Flow> {
        match frame.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.fail(frame, line, format!("undefined variable: {name}"))),
        }
    }

    /// Follows `.a.b.c` from `value`; `base` is how the chain starts (`""` for dot, `$x`),
    /// for the message when it breaks.
    fn fields(
        &self,
        mut value: V,
        base: &str,
        fields: &[String],
        frame: &Frame,
        line: u32,
    ) -> Result<V, Flow> {
        self.needs_no_missing_dependency(&value, frame, line)?;
        for (i, field) in fields.iter().enumerate() {
            value = match &value {
                V::Map(m) => m.borrow().get(field).cloned().unwrap_or(V::Nil),
                V::Nil => {
                    let chain = format!("{base}.{}", fields[..=i].join("."));
                    let missing = format!("{base}.{}", fields[..i].join("."));
                    let hint = if matches!(base, "" | "$") && fields[0] == "Values" {
                        format!(
                            "; `{missing}` is set in no values file read here (a value given with `--set` when deploying is not known to liftoff)"
                        )
                    } else {
                        String::new()
                    };
                    return Err(self.fail(
                        frame,
                        line,
                        format!(
                            "at <{chain}>: nil pointer evaluating interface {{}}.{field}{hint}"
                        ),
                    ));
                }
                other => {
                    return Err(self.fail(
                        frame,
                        line,
                        format!("can't evaluate field {field} in type {}", other.type_name()),
                    ));
                }
            };
            self.needs_no_missing_dependency(&value, frame, line)?;
        }
        Ok(value)
    }

    /// Stops the template where it reaches the context of a dependency that is not vendored
    /// (`.Subcharts.redis`): what it would give is unknown, not an error of the chart.
    fn needs_no_missing_dependency(&self, value: &V, frame: &Frame, line: u32) -> Result<(), Flow> {
        if let V::Map(m) = value
            && let Some(dep) = m.borrow().get(super::MISSING_DEPENDENCY)
        {
            return Err(self.fail(
                frame,
                line,
                format!("{}`{}`", super::NEEDS_DEPENDENCY, dep.to_text()),
            ));
        }
        Ok(())
    }

    fn arg(&mut self, arg: &Arg, dot: &V, frame: &mut Frame, line: u32) -> Result<V, Flow> {
        Ok(match arg {
            Arg::Dot => dot.clone(),
            Arg::Field(fields) => self.fields(dot.clone(), "", fields, frame, line)?,
            Arg::Var(name, fields) => {
                let base = self.var(name, frame, line)?;
                self.fields(base, name, fields, frame, line)?
            }
            Arg::Ident(name) => self.call(name, &[], None, dot, frame, line)?,
            Arg::Str(s) => V::Str(s.clone()),
            Arg::Int(i) => V::Int(*i),
            Arg::Float(f) => V::Float(*f),
            Arg::Bool(b) => V::Bool(*b),
            Arg::Nil => V::Nil,
            Arg::Sub(pipe, fields) => {
                let mark = frame.vars.len();
                let v = self.pipe(pipe, dot, frame);
                frame.vars.truncate(mark);
                self.fields(v?, "(...)", fields, frame, line)?
            }
        })
    }

    fn call(
        &mut self,
        name: &str,
        args: &[Arg],
        piped: Option<V>,
        dot: &V,
        frame: &mut Frame,
        line: u32,
    ) -> Result<V, Flow> {
        // `and` and `or` stop at the first argument that decides, as Go's do.
        if name == "and" || name == "or" {
            let mut last = V::Nil;
            let total = args.len() + usize::from(piped.is_some());
            if total == 0 {
                return Err(self.fail(frame, line, format!("wrong number of args for {name}")));
            }
            for a in args {
                last = self.arg(a, dot, frame, line)?;
                if (name == "and") != last.truthy() {
                    return Ok(last);
                }
            }
            if let Some(p) = piped {
                last = p;
            }
            return Ok(last);
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        for a in args {
            values.push(self.arg(a, dot, frame, line)?);
        }
        values.extend(piped);
        match name {
            "include" => {
                let (Some(V::Str(template)), Some(arg)) = (values.first(), values.get(1)) else {
                    return Err(self.fail(
                        frame,
                        line,
                        "include needs a template name and a value",
                    ));
                };
                let template = template.clone();
                let arg = arg.clone();
                Ok(V::Str(self.call_define(&template, &arg, frame, line)?))
            }
            "tpl" => {
                let (Some(text), Some(arg)) = (values.first(), values.get(1)) else {
                    return Err(self.fail(frame, line, "tpl needs a string and a value"));
                };
                let text = text.to_text();
                let arg = arg.clone();
                Ok(V::Str(self.tpl(&text, &arg, frame, line)?))
            }
            "required" => {
                let (Some(message), Some(value)) = (values.first(), values.get(1)) else {
                    return Err(self.fail(frame, line, "required needs a message and a value"));
                };
                let missing = match value {
                    V::Nil => true,
                    V::Str(s) => s.is_empty(),
                    _ => false,
                };
                if missing {
                    return Err(self.fail(frame, line, format!("required: {}", message.to_text())));
                }
                Ok(value.clone())
            }
            "fail" => Err(self.fail(
                frame,
                line,
                format!(
                    "fail: {}",
                    values.first().map(V::to_text).unwrap_or_default()
                ),
            )),
            _ => funcs::call(name, values).map_err(|m| self.fail(frame, line, m)),
        }
    }
}
