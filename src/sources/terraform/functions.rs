//! The Terraform functions liftoff evaluates, with Terraform's semantics.

use super::*;

/// The most elements `range` makes, as in Terraform: a larger list is almost always a mistake.
pub(super) const RANGE_LIMIT: usize = 1024;

/// Terraform's `range(start, limit, step)`: from `start` up to (not including) `limit`; the step
/// defaults to 1, or -1 when `limit` is below `start`, and must point from `start` to `limit`.
pub(super) fn number_range(start: f64, limit: f64, step: Option<f64>) -> Result<Vec<f64>, String> {
    let step = step.unwrap_or(if limit >= start { 1.0 } else { -1.0 });
    if step == 0.0 {
        return Err("range: step must not be zero".into());
    }
    if (limit > start && step < 0.0) || (limit < start && step > 0.0) {
        return Err("range: the step must go from start towards limit".into());
    }
    let mut out = Vec::new();
    let mut value = start;
    while (step > 0.0 && value < limit) || (step < 0.0 && value > limit) {
        if out.len() == RANGE_LIMIT {
            return Err(format!("range: more than {RANGE_LIMIT} elements"));
        }
        out.push(value);
        value = start + step * out.len() as f64;
    }
    Ok(out)
}

/// An IPv4 or IPv6 prefix as (address bits, prefix length, address width).
pub(super) fn parse_cidr(prefix: &str) -> Result<(u128, u32, u32), String> {
    let (address, length) = prefix
        .split_once('/')
        .ok_or_else(|| format!("`{prefix}` is not a CIDR prefix"))?;
    let length: u32 = length
        .parse()
        .map_err(|_| format!("`{prefix}` has no prefix length"))?;
    let (bits, width) = match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => (u128::from(u32::from(v4)), 32),
        Ok(std::net::IpAddr::V6(v6)) => (u128::from(v6), 128),
        Err(_) => return Err(format!("`{address}` is not an IP address")),
    };
    if length > width {
        return Err(format!("`{prefix}`: the prefix is longer than the address"));
    }
    Ok((bits, length, width))
}

/// Formats address bits of `width` (32 or 128) as an address.
pub(super) fn format_address(bits: u128, width: u32) -> String {
    if width == 32 {
        // The bits came from an IPv4 address and stay below 2^32.
        std::net::Ipv4Addr::from(bits as u32).to_string()
    } else {
        std::net::Ipv6Addr::from(bits).to_string()
    }
}

/// The network part of `bits` under a prefix of `length` bits.
pub(super) fn network(bits: u128, length: u32, width: u32) -> u128 {
    let host_bits = width - length;
    if host_bits >= 128 {
        0
    } else {
        bits >> host_bits << host_bits
    }
}

/// Terraform's `cidrsubnet`: the `netnum`th subnet of `prefix`, `newbits` longer.
pub(super) fn cidr_subnet(prefix: &str, newbits: u64, netnum: u64) -> Result<String, String> {
    let (bits, length, width) = parse_cidr(prefix)?;
    let newbits = u32::try_from(newbits).map_err(|_| "cidrsubnet: newbits too large")?;
    let sub_length = length + newbits;
    if sub_length > width {
        return Err(format!(
            "cidrsubnet: {newbits} more bits do not fit in `{prefix}`"
        ));
    }
    if newbits < 64 && u128::from(netnum) >= 1u128 << newbits {
        return Err(format!(
            "cidrsubnet: {netnum} does not fit in {newbits} bits"
        ));
    }
    let base = network(bits, length, width);
    let subnet = base | (u128::from(netnum) << (width - sub_length));
    Ok(format!("{}/{sub_length}", format_address(subnet, width)))
}

/// Terraform's `cidrhost`: the address of host `hostnum` in `prefix`.
pub(super) fn cidr_host(prefix: &str, hostnum: u64) -> Result<String, String> {
    let (bits, length, width) = parse_cidr(prefix)?;
    let host_bits = width - length;
    if host_bits < 64 && u128::from(hostnum) >= 1u128 << host_bits {
        return Err(format!("cidrhost: {hostnum} does not fit in `{prefix}`"));
    }
    Ok(format_address(
        network(bits, length, width) | u128::from(hostnum),
        width,
    ))
}

pub(super) fn functions() -> Vec<(&'static str, FuncDef)> {
    pub(super) fn merge(args: FuncArgs) -> Result<hcl::Value, String> {
        let mut out = hcl::Map::new();
        for a in args.iter() {
            if let hcl::Value::Object(m) = a {
                out.extend(m.clone());
            }
        }
        Ok(hcl::Value::Object(out))
    }
    pub(super) fn lookup(args: FuncArgs) -> Result<hcl::Value, String> {
        let key = args[1].as_str().ok_or("lookup: key must be a string")?;
        match (&args[0], args.get(2)) {
            (hcl::Value::Object(m), default) => m
                .get(key)
                .cloned()
                .or_else(|| default.cloned())
                .ok_or_else(|| format!("lookup: no key {key}")),
            _ => Err("lookup: not a map".into()),
        }
    }
    pub(super) fn coalesce(args: FuncArgs) -> Result<hcl::Value, String> {
        args.iter()
            .find(|v| !v.is_null() && v.as_str() != Some(""))
            .cloned()
            .ok_or_else(|| "coalesce: all null".into())
    }
    pub(super) fn concat(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::Array(
            args.iter()
                .filter_map(|a| a.as_array())
                .flatten()
                .cloned()
                .collect(),
        ))
    }
    pub(super) fn length(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::from(match &args[0] {
            hcl::Value::Array(a) => a.len(),
            hcl::Value::Object(m) => m.len(),
            hcl::Value::String(s) => s.chars().count(),
            _ => return Err("length: not a collection".into()),
        } as u64))
    }
    pub(super) fn lower(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::from(
            args[0].as_str().unwrap_or_default().to_lowercase(),
        ))
    }
    pub(super) fn upper(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::from(
            args[0].as_str().unwrap_or_default().to_uppercase(),
        ))
    }
    pub(super) fn join(args: FuncArgs) -> Result<hcl::Value, String> {
        let sep = args[0].as_str().unwrap_or_default();
        let items: Vec<String> = args[1]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect();
        Ok(hcl::Value::from(items.join(sep)))
    }
    pub(super) fn split(args: FuncArgs) -> Result<hcl::Value, String> {
        let sep = args[0].as_str().unwrap_or_default();
        Ok(hcl::Value::Array(
            args[1]
                .as_str()
                .unwrap_or_default()
                .split(sep)
                .map(|s| hcl::Value::from(s.to_string()))
                .collect(),
        ))
    }
    pub(super) fn replace(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::from(
            args[0].as_str().unwrap_or_default().replace(
                args[1].as_str().unwrap_or_default(),
                args[2].as_str().unwrap_or_default(),
            ),
        ))
    }
    pub(super) fn identity(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(args[0].clone())
    }
    pub(super) fn keys(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::Array(
            args[0]
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys().map(|k| hcl::Value::from(k.clone())))
                .collect(),
        ))
    }
    pub(super) fn values(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::Array(
            args[0]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values().cloned())
                .collect(),
        ))
    }
    pub(super) fn contains(args: FuncArgs) -> Result<hcl::Value, String> {
        Ok(hcl::Value::Bool(
            args[0].as_array().is_some_and(|a| a.contains(&args[1])),
        ))
    }
    pub(super) fn range(args: FuncArgs) -> Result<hcl::Value, String> {
        let numbers: Vec<f64> = args
            .iter()
            .map(|a| a.as_f64().ok_or("range: arguments must be numbers"))
            .collect::<Result<_, _>>()?;
        let (start, limit, step) = match numbers[..] {
            [limit] => (0.0, limit, None),
            [start, limit] => (start, limit, None),
            [start, limit, step] => (start, limit, Some(step)),
            _ => return Err("range: one to three arguments".into()),
        };
        Ok(hcl::Value::Array(
            number_range(start, limit, step)?
                .into_iter()
                .map(|n| {
                    if n.fract() == 0.0 && n.abs() < 9.0e15 {
                        hcl::Value::from(n as i64)
                    } else {
                        hcl::Value::from(n)
                    }
                })
                .collect(),
        ))
    }
    pub(super) fn element(args: FuncArgs) -> Result<hcl::Value, String> {
        let list = args[0].as_array().ok_or("element: not a list")?;
        let i = args[1].as_u64().ok_or("element: bad index")? as usize;
        list.get(i % list.len().max(1))
            .cloned()
            .ok_or_else(|| "element: empty list".into())
    }
    pub(super) fn flatten(args: FuncArgs) -> Result<hcl::Value, String> {
        fn walk(v: &hcl::Value, out: &mut Vec<hcl::Value>) {
            match v {
                hcl::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
                other => out.push(other.clone()),
            }
        }
        let mut out = Vec::new();
        walk(&args[0], &mut out);
        Ok(hcl::Value::Array(out))
    }
    pub(super) fn jsonencode(args: FuncArgs) -> Result<hcl::Value, String> {
        serde_json::to_string(&to_json(&args[0]))
            .map(hcl::Value::from)
            .map_err(|e| e.to_string())
    }
    pub(super) fn jsondecode(args: FuncArgs) -> Result<hcl::Value, String> {
        let json: Json = serde_json::from_str(args[0].as_str().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        Ok(from_json(&json))
    }
    pub(super) fn format(args: FuncArgs) -> Result<hcl::Value, String> {
        let mut rest = args.iter().skip(1);
        let template = args[0].as_str().unwrap_or_default();
        let mut out = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '%' {
                match chars.next() {
                    Some('%') => out.push('%'),
                    Some(_) => out.push_str(
                        &rest
                            .next()
                            .map(|v| {
                                v.as_str()
                                    .map(String::from)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .unwrap_or_default(),
                    ),
                    None => out.push('%'),
                }
            } else {
                out.push(c);
            }
        }
        Ok(hcl::Value::from(out))
    }
    pub(super) fn file(args: FuncArgs) -> Result<hcl::Value, String> {
        let path = args[0].as_str().ok_or("file: the path must be a string")?;
        read_module_file(path).map(hcl::Value::from)
    }
    pub(super) fn templatefile(args: FuncArgs) -> Result<hcl::Value, String> {
        let path = args[0]
            .as_str()
            .ok_or("templatefile: the path must be a string")?;
        let hcl::Value::Object(vars) = &args[1] else {
            return Err("templatefile: the variables must be an object".into());
        };
        let text = read_module_file(path)?;
        let template: hcl::Template = text
            .parse()
            .map_err(|e| format!("templatefile {path}: {e}"))?;
        let mut ctx = Context::new();
        for (name, value) in vars {
            ctx.declare_var(name.as_str(), value.clone());
        }
        for (name, def) in functions() {
            ctx.declare_func(name, def);
        }
        template
            .evaluate(&ctx)
            .map(hcl::Value::from)
            .map_err(|e| format!("templatefile {path}: {e}"))
    }
    pub(super) fn cidrsubnet(args: FuncArgs) -> Result<hcl::Value, String> {
        let (newbits, netnum) = (args[1].as_u64(), args[2].as_u64());
        let (Some(newbits), Some(netnum)) = (newbits, netnum) else {
            return Err("cidrsubnet: newbits and netnum must be whole numbers".into());
        };
        cidr_subnet(args[0].as_str().unwrap_or_default(), newbits, netnum).map(hcl::Value::from)
    }
    pub(super) fn cidrhost(args: FuncArgs) -> Result<hcl::Value, String> {
        let hostnum = args[1]
            .as_u64()
            .ok_or("cidrhost: hostnum must be a whole number")?;
        cidr_host(args[0].as_str().unwrap_or_default(), hostnum).map(hcl::Value::from)
    }
    let any = |n: usize| FuncDef::new(identity, std::iter::repeat_n(ParamType::Any, n));
    vec![
        (
            "cidrsubnet",
            FuncDef::new(cidrsubnet, [ParamType::Any, ParamType::Any, ParamType::Any]),
        ),
        (
            "cidrhost",
            FuncDef::new(cidrhost, [ParamType::Any, ParamType::Any]),
        ),
        (
            "merge",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(merge),
        ),
        (
            "lookup",
            FuncDef::builder()
                .param(ParamType::Any)
                .param(ParamType::Any)
                .variadic_param(ParamType::Any)
                .build(lookup),
        ),
        (
            "coalesce",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(coalesce),
        ),
        (
            "concat",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(concat),
        ),
        ("length", FuncDef::new(length, [ParamType::Any])),
        ("lower", FuncDef::new(lower, [ParamType::Any])),
        ("upper", FuncDef::new(upper, [ParamType::Any])),
        ("join", FuncDef::new(join, [ParamType::Any, ParamType::Any])),
        (
            "split",
            FuncDef::new(split, [ParamType::Any, ParamType::Any]),
        ),
        (
            "replace",
            FuncDef::new(replace, [ParamType::Any, ParamType::Any, ParamType::Any]),
        ),
        ("tomap", any(1)),
        ("tolist", any(1)),
        ("toset", any(1)),
        ("tostring", any(1)),
        ("keys", FuncDef::new(keys, [ParamType::Any])),
        ("values", FuncDef::new(values, [ParamType::Any])),
        (
            "contains",
            FuncDef::new(contains, [ParamType::Any, ParamType::Any]),
        ),
        (
            "element",
            FuncDef::new(element, [ParamType::Any, ParamType::Any]),
        ),
        ("flatten", FuncDef::new(flatten, [ParamType::Any])),
        (
            "range",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(range),
        ),
        ("jsonencode", FuncDef::new(jsonencode, [ParamType::Any])),
        ("jsondecode", FuncDef::new(jsondecode, [ParamType::Any])),
        ("file", FuncDef::new(file, [ParamType::Any])),
        (
            "templatefile",
            FuncDef::new(templatefile, [ParamType::Any, ParamType::Any]),
        ),
        (
            "format",
            FuncDef::builder()
                .param(ParamType::Any)
                .variadic_param(ParamType::Any)
                .build(format),
        ),
    ]
}
