//! Go's text/template syntax, parsed into a tree: text, actions, `if`/`range`/`with` with their
//! `else` chains, `define`/`template`/`block`, variables and pipelines, whitespace trimming
//! (`{{-` and `-}}`) and comments.

use std::collections::BTreeMap;
use std::rc::Rc;

/// A parse error at a line of the template file.
#[derive(Debug, Clone)]
pub struct ParseError {
    pub line: u32,
    pub message: String,
}

fn err<T>(line: u32, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        line,
        message: message.into(),
    })
}

#[derive(Debug, Clone)]
pub enum Node {
    /// Text and the source line where it starts (after trimming).
    Text(Rc<str>, u32),
    Action(Pipe),
    If(Vec<(Pipe, Vec<Node>)>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    With(Vec<(Pipe, Vec<Node>)>, Vec<Node>),
    Template(String, Option<Pipe>, u32),
    Break(u32),
    Continue(u32),
}

#[derive(Debug, Clone)]
pub struct Pipe {
    pub line: u32,
    /// `$x :=` or `$i, $v :=` (declare) / `$x =` (assign).
    pub vars: Vec<String>,
    pub declare: bool,
    pub cmds: Vec<Vec<Arg>>,
}

#[derive(Debug, Clone)]
pub enum Arg {
    Dot,
    /// `.a.b`
    Field(Vec<String>),
    /// `$x.a.b` (`$` alone is the root).
    Var(String, Vec<String>),
    /// A function name.
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    /// `( pipeline )` and any fields after it.
    Sub(Box<Pipe>, Vec<String>),
}

/// A parsed file: its output tree and the templates it defines.
#[derive(Debug, Default)]
pub struct Parsed {
    pub root: Vec<Node>,
    pub defines: BTreeMap<String, Rc<Vec<Node>>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Dot,
    Field(String),
    Var(String),
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Char(i64),
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
}

/// One `{{ ... }}`, or a run of text between them.
enum Item {
    Text(String, u32),
    Action(Vec<(Tok, Vec<String>)>, u32),
}

/// Nested control structures and parentheses; real charts stay under 10, and the bound keeps a
/// hostile file far from the stack's end (each level is several frames).
const MAX_NESTING: usize = 30;

/// Parses a template file's text.
pub fn parse(text: &str) -> Result<Parsed, ParseError> {
    let items = split(text)?;
    let mut parser = Parser {
        items,
        at: 0,
        defines: BTreeMap::new(),
        depth: 0,
    };
    let (root, end) = parser.list()?;
    if let Some((word, line)) = end {
        return err(line, format!("unexpected {{{{{word}}}}}"));
    }
    Ok(Parsed {
        root,
        defines: parser.defines,
    })
}

fn line_at(text: &str, offset: usize) -> u32 {
    1 + text[..offset].bytes().filter(|b| *b == b'\n').count() as u32
}

/// Splits text and actions, applying trim markers and dropping comments.
fn split(text: &str) -> Result<Vec<Item>, ParseError> {
    let mut items = Vec::new();
    let mut pos = 0;
    let mut trim_next = false;
    while pos <= text.len() {
        let open = text[pos..].find("{{").map(|i| pos + i);
        let end = open.unwrap_or(text.len());
        let mut chunk = &text[pos..end];
        let mut start = pos;
        if trim_next {
            let trimmed = chunk.trim_start_matches([' ', '\t', '\r', '\n']);
            start += chunk.len() - trimmed.len();
            chunk = trimmed;
        }
        let Some(open) = open else {
            if !chunk.is_empty() {
                items.push(Item::Text(chunk.to_string(), line_at(text, start)));
            }
            break;
        };
        let mut inner_start = open + 2;
        let trim_left = text[inner_start..].starts_with("- ")
            || text[inner_start..].starts_with("-\t")
            || text[inner_start..].starts_with("-\n")
            || text[inner_start..].starts_with("-\r");
        if trim_left {
            chunk = chunk.trim_end_matches([' ', '\t', '\r', '\n']);
            inner_start += 1;
        }
        if !chunk.is_empty() {
            items.push(Item::Text(chunk.to_string(), line_at(text, start)));
        }
        let line = line_at(text, open);
        let (tokens, close, trim_right) = lex_action(text, inner_start, line)?;
        if !tokens.is_empty() {
            items.push(Item::Action(tokens, line));
        }
        trim_next = trim_right;
        pos = close;
    }
    Ok(items)
}

/// Lexes one action from `start`; returns its tokens, the offset after `}}` and whether it
/// ends with `-}}`.
#[allow(clippy::type_complexity)]
fn lex_action(
    text: &str,
    start: usize,
    line: u32,
) -> Result<(Vec<(Tok, Vec<String>)>, usize, bool), ParseError> {
    let bytes = text.as_bytes();
    let mut i = start;
    let mut out: Vec<(Tok, Vec<String>)> = Vec::new();
    loop {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        if i >= bytes.len() {
            return err(line, "unclosed action: no `}}`");
        }
        let rest = &text[i..];
        if rest.starts_with("-}}") && i > start && bytes[i - 1].is_ascii_whitespace() {
            return Ok((out, i + 3, true));
        }
        if rest.starts_with("}}") {
            return Ok((out, i + 2, false));
        }
        if rest.starts_with("/*") {
            let Some(end) = rest.find("*/") else {
                return err(line, "unclosed comment");
            };
            i += end + 2;
            continue;
        }
        let c = bytes[i];
        let tok = match c {
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                // Fields after a parenthesised pipeline: `(index . 0).name`.
                let mut fields = Vec::new();
                while i < bytes.len() && bytes[i] == b'.' {
                    let (name, next) = ident_at(text, i + 1);
                    if name.is_empty() {
                        break;
                    }
                    fields.push(name.to_string());
                    i = next;
                }
                out.push((Tok::RParen, fields));
                continue;
            }
            b'|' => {
                i += 1;
                Tok::Pipe
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b':' if rest.starts_with(":=") => {
                i += 2;
                Tok::Declare
            }
            b'=' => {
                i += 1;
                Tok::Assign
            }
            b'"' => {
                let (s, next) = quoted(text, i, line)?;
                i = next;
                Tok::Str(s)
            }
            b'`' => {
                let Some(end) = text[i + 1..].find('`') else {
                    return err(line, "unterminated raw string");
                };
                let s = text[i + 1..i + 1 + end].to_string();
                i += end + 2;
                Tok::Str(s)
            }
            b'\'' => {
                let Some(end) = text[i + 1..].find('\'') else {
                    return err(line, "unterminated character constant");
                };
                let body = &text[i + 1..i + 1 + end];
                let ch = match body {
                    "\\n" => '\n',
                    "\\t" => '\t',
                    "\\'" => '\'',
                    "\\\\" => '\\',
                    _ => body.chars().next().unwrap_or('\0'),
                };
                i += end + 2;
                Tok::Char(ch as i64)
            }
            b'.' if i + 1 < bytes.len()
                && (bytes[i + 1].is_ascii_alphabetic() || bytes[i + 1] == b'_') =>
            {
                let mut fields = Vec::new();
                while i < bytes.len() && bytes[i] == b'.' {
                    let (name, next) = ident_at(text, i + 1);
                    if name.is_empty() {
                        break;
                    }
                    fields.push(name.to_string());
                    i = next;
                }
                out.push((Tok::Field(String::new()), fields));
                continue;
            }
            b'.' => {
                i += 1;
                Tok::Dot
            }
            b'$' => {
                let (name, next) = ident_at(text, i + 1);
                let var = format!("${name}");
                i = next;
                let mut fields = Vec::new();
                while i < bytes.len() && bytes[i] == b'.' {
                    let (name, next) = ident_at(text, i + 1);
                    if name.is_empty() {
                        break;
                    }
                    fields.push(name.to_string());
                    i = next;
                }
                out.push((Tok::Var(var), fields));
                continue;
            }
            b'-' | b'+' | b'0'..=b'9' => {
                let end = rest
                    .find(|ch: char| {
                        !(ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-' | '+'))
                    })
                    .unwrap_or(rest.len());
                // `-}}` right after a number is the trim marker, not part of it.
                let mut word = &rest[..end];
                if let Some(stripped) = word.strip_suffix('-') {
                    if text[i + end..].starts_with("}}") {
                        word = stripped;
                    }
                }
                i += word.len();
                number(word, line)?
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let (name, next) = ident_at(text, i);
                i = next;
                Tok::Ident(name.to_string())
            }
            _ => {
                let ch = rest.chars().next().unwrap_or(' ');
                return err(line, format!("unexpected `{ch}` in an action"));
            }
        };
        out.push((tok, Vec::new()));
    }
}

fn ident_at(text: &str, from: usize) -> (&str, usize) {
    let rest = &text[from.min(text.len())..];
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (&rest[..end], from + end)
}

fn quoted(text: &str, start: usize, line: u32) -> Result<(String, usize), ParseError> {
    let mut out = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + 1 + i + 1)),
            '\n' => break,
            '\\' => match chars.next().map(|(_, c)| c) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            c => out.push(c),
        }
    }
    err(line, "unterminated quoted string")
}

fn number(word: &str, line: u32) -> Result<Tok, ParseError> {
    let clean = word.replace('_', "");
    if let Ok(i) = clean.parse::<i64>() {
        return Ok(Tok::Int(i));
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        let (neg, body) = match clean.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, clean.as_str()),
        };
        if let Some(digits) = body.strip_prefix(prefix) {
            if let Ok(i) = i64::from_str_radix(digits, radix) {
                return Ok(Tok::Int(if neg { -i } else { i }));
            }
        }
    }
    match clean.parse::<f64>() {
        Ok(f) => Ok(Tok::Float(f)),
        Err(_) => err(line, format!("bad number syntax: {word:?}")),
    }
}

struct Parser {
    items: Vec<Item>,
    at: usize,
    defines: BTreeMap<String, Rc<Vec<Node>>>,
    depth: usize,
}

/// How a list of nodes ended: `end`, `else` (with the rest of its action), or end of input.
type Ending = Option<(String, u32)>;

impl Parser {
    /// Nodes up to `{{end}}` / `{{else ...}}` (returned) or the end of the file.
    fn list(&mut self) -> Result<(Vec<Node>, Ending), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            let line = self.line();
            return err(line, "actions nested too deeply");
        }
        let mut nodes = Vec::new();
        let ending = loop {
            let Some(item) = self.items.get(self.at) else {
                break None;
            };
            self.at += 1;
            match item {
                Item::Text(t, line) => nodes.push(Node::Text(Rc::from(t.as_str()), *line)),
                Item::Action(tokens, line) => {
                    let line = *line;
                    let tokens = tokens.clone();
                    let keyword = match tokens.first() {
                        Some((Tok::Ident(k), _)) => k.as_str(),
                        _ => "",
                    };
                    match keyword {
                        "end" => break Some(("end".to_string(), line)),
                        "else" => break Some(("else".to_string(), line)),
                        "if" | "with" => {
                            let node = self.conditional(keyword, &tokens[1..], line)?;
                            nodes.push(node);
                        }
                        "range" => {
                            let pipe = pipeline(&tokens[1..], line)?;
                            let (body, end) = self.list()?;
                            let otherwise = match end {
                                Some((e, _)) if e == "else" => {
                                    let (otherwise, end) = self.list()?;
                                    expect_end(end, line, "range")?;
                                    otherwise
                                }
                                end => {
                                    expect_end(end, line, "range")?;
                                    Vec::new()
                                }
                            };
                            nodes.push(Node::Range(pipe, body, otherwise));
                        }
                        "define" | "block" => {
                            let Some((Tok::Str(name), _)) = tokens.get(1) else {
                                return err(line, format!("{keyword} needs a quoted name"));
                            };
                            let name = name.clone();
                            let (body, end) = self.list()?;
                            expect_end(end, line, keyword)?;
                            if keyword == "block" {
                                let pipe = pipeline(&tokens[2..], line)?;
                                nodes.push(Node::Template(name.clone(), Some(pipe), line));
                            }
                            self.defines.insert(name, Rc::new(body));
                        }
                        "template" => {
                            let Some((Tok::Str(name), _)) = tokens.get(1) else {
                                return err(line, "template needs a quoted name");
                            };
                            let pipe = if tokens.len() > 2 {
                                Some(pipeline(&tokens[2..], line)?)
                            } else {
                                None
                            };
                            nodes.push(Node::Template(name.clone(), pipe, line));
                        }
                        "break" => nodes.push(Node::Break(line)),
                        "continue" => nodes.push(Node::Continue(line)),
                        _ => nodes.push(Node::Action(pipeline(&tokens, line)?)),
                    }
                }
            }
        };
        self.depth -= 1;
        Ok((nodes, ending))
    }

    fn line(&self) -> u32 {
        match self.items.get(self.at.saturating_sub(1)) {
            Some(Item::Text(_, l)) | Some(Item::Action(_, l)) => *l,
            None => 0,
        }
    }

    /// `if`/`with` with their `else if`/`else with`/`else` chain, sharing one `end`.
    fn conditional(
        &mut self,
        keyword: &str,
        tokens: &[(Tok, Vec<String>)],
        line: u32,
    ) -> Result<Node, ParseError> {
        let mut branches = Vec::new();
        let mut pipe = pipeline(tokens, line)?;
        let otherwise = loop {
            let (body, end) = self.list()?;
            branches.push((pipe, body));
            match end {
                Some((e, else_line)) if e == "else" => {
                    // The `else` action's own tokens tell whether another branch follows.
                    let tokens = match &self.items[self.at - 1] {
                        Item::Action(t, _) => t.clone(),
                        Item::Text(..) => Vec::new(),
                    };
                    match tokens.get(1) {
                        Some((Tok::Ident(k), _)) if k == keyword => {
                            pipe = pipeline(&tokens[2..], else_line)?;
                        }
                        Some((Tok::Ident(k), _)) if k == "if" || k == "with" => {
                            // `else with` inside `if` (or the reverse): a nested conditional
                            // that consumes the shared `end`.
                            let nested = self.conditional(k, &tokens[2..], else_line)?;
                            break vec![nested];
                        }
                        Some(_) => return err(else_line, "unexpected words after else"),
                        None => {
                            let (otherwise, end) = self.list()?;
                            expect_end(end, line, keyword)?;
                            break otherwise;
                        }
                    }
                }
                end => {
                    expect_end(end, line, keyword)?;
                    break Vec::new();
                }
            }
        };
        Ok(match keyword {
            "if" => Node::If(branches, otherwise),
            _ => Node::With(branches, otherwise),
        })
    }
}

fn expect_end(end: Ending, line: u32, what: &str) -> Result<(), ParseError> {
    match end {
        Some((e, _)) if e == "end" => Ok(()),
        Some((e, l)) => err(l, format!("unexpected {{{{{e}}}}} in {what}")),
        None => err(line, format!("`{what}` started here has no {{{{end}}}}")),
    }
}

/// A pipeline: optional variable declaration, then commands separated by `|`.
fn pipeline(tokens: &[(Tok, Vec<String>)], line: u32) -> Result<Pipe, ParseError> {
    pipeline_at(tokens, line, 0)
}

/// A pipeline nested `depth` parentheses deep: bounded, as the stack is.
fn pipeline_at(tokens: &[(Tok, Vec<String>)], line: u32, depth: usize) -> Result<Pipe, ParseError> {
    if depth > MAX_NESTING {
        return err(line, "parentheses nested too deeply");
    }
    let mut vars = Vec::new();
    let mut declare = false;
    let mut rest = tokens;
    // `$x :=`, `$x =`, `$i, $v :=`
    let decl_at = tokens
        .iter()
        .position(|(t, _)| matches!(t, Tok::Declare | Tok::Assign));
    if let Some(at) = decl_at {
        let names = &tokens[..at];
        let all_vars = names
            .iter()
            .all(|(t, f)| matches!(t, Tok::Var(_) | Tok::Comma) && f.is_empty());
        if all_vars && !names.is_empty() {
            vars = names
                .iter()
                .filter_map(|(t, _)| match t {
                    Tok::Var(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
            declare = matches!(tokens[at].0, Tok::Declare);
            rest = &tokens[at + 1..];
        }
    }
    let mut cmds = Vec::new();
    let mut i = 0;
    let mut cmd = Vec::new();
    while i < rest.len() {
        let (tok, fields) = &rest[i];
        i += 1;
        let arg = match tok {
            Tok::Pipe => {
                if cmd.is_empty() {
                    return err(line, "missing command before `|`");
                }
                cmds.push(std::mem::take(&mut cmd));
                continue;
            }
            Tok::LParen => {
                // Find the matching parenthesis.
                let mut open = 1;
                let start = i;
                while i < rest.len() {
                    match rest[i].0 {
                        Tok::LParen => open += 1,
                        Tok::RParen => {
                            open -= 1;
                            if open == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                if open != 0 {
                    return err(line, "unclosed left parenthesis");
                }
                let inner = pipeline_at(&rest[start..i], line, depth + 1)?;
                let after = rest[i].1.clone();
                i += 1;
                Arg::Sub(Box::new(inner), after)
            }
            Tok::RParen => return err(line, "unexpected right parenthesis"),
            Tok::Dot => Arg::Dot,
            Tok::Field(_) => Arg::Field(fields.clone()),
            Tok::Var(v) => Arg::Var(v.clone(), fields.clone()),
            Tok::Ident(name) => match name.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                _ => Arg::Ident(name.clone()),
            },
            Tok::Str(s) => Arg::Str(s.clone()),
            Tok::Int(n) | Tok::Char(n) => Arg::Int(*n),
            Tok::Float(f) => Arg::Float(*f),
            Tok::Declare | Tok::Assign | Tok::Comma => {
                return err(line, "unexpected `:=`, `=` or `,` in a pipeline");
            }
        };
        cmd.push(arg);
    }
    if !cmd.is_empty() {
        cmds.push(cmd);
    } else if !cmds.is_empty() {
        return err(line, "missing command after `|`");
    }
    if cmds.is_empty() {
        return err(line, "missing value for command");
    }
    Ok(Pipe {
        line,
        vars,
        declare,
        cmds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_and_comments() {
        let p = parse("a  {{- /* c */ -}}  b\n{{ .x }}").unwrap();
        match &p.root[..] {
            [Node::Text(a, 1), Node::Text(b, 1), Node::Action(_)] => {
                assert_eq!(&**a, "a");
                assert_eq!(&**b, "b\n");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn else_if_chains_share_one_end() {
        let p = parse("{{ if .a }}1{{ else if .b }}2{{ else }}3{{ end }}").unwrap();
        let [Node::If(branches, otherwise)] = &p.root[..] else {
            panic!("{:?}", p.root)
        };
        assert_eq!(branches.len(), 2);
        assert_eq!(otherwise.len(), 1);
    }

    #[test]
    fn hostile_nesting_is_refused_not_overflowed() {
        let deep = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
        assert!(
            parse(&deep)
                .unwrap_err()
                .message
                .contains("nested too deeply")
        );
        let ifs = "{{ if 1 }}".repeat(5000);
        assert!(
            parse(&ifs)
                .unwrap_err()
                .message
                .contains("nested too deeply")
        );
    }

    #[test]
    fn unclosed_if_names_its_line() {
        let e = parse("a\n{{ if .a }}\nb").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("no {{end}}"), "{}", e.message);
    }
}
