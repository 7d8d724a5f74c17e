//! The subset of Python's pickle protocol (0–5 opcodes used by `torch.save`) needed to read a
//! state dict: containers, scalars, globals, `REDUCE` and persistent ids (tensor storages).

use std::path::Path;

use crate::error::{CnnError, Result};

/// A decoded pickle value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Global(String, String),
    PersId(Box<Value>),
    /// `callable(*args)` left unevaluated (REDUCE / NEWOBJ), with an optional BUILD state.
    Call(Box<Value>, Box<Value>),
    Mark,
}

impl Value {
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }
    pub(crate) fn items(&self) -> Option<&[Value]> {
        match self {
            Value::Tuple(v) | Value::List(v) => Some(v),
            _ => None,
        }
    }
}

/// Parse one pickle starting at `data[0]`; returns the value and the number of bytes consumed.
pub(crate) fn parse(data: &[u8], path: &Path) -> Result<(Value, usize)> {
    let err = |pos: usize, what: &str| {
        CnnError::format(path, "pth", format!("pickle: {what} at byte {pos}"))
    };
    let mut stack: Vec<Value> = Vec::new();
    let mut memo: std::collections::HashMap<u64, Value> = std::collections::HashMap::new();
    let mut pos = 0usize;
    let take = |pos: &mut usize, n: usize| -> Result<&[u8]> {
        let end = pos
            .checked_add(n)
            .filter(|&e| e <= data.len())
            .ok_or_else(|| err(*pos, "unexpected end"))?;
        let s = &data[*pos..end];
        *pos = end;
        Ok(s)
    };
    let le = |b: &[u8]| b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | x as u64);
    let pop =
        |stack: &mut Vec<Value>, pos: usize| stack.pop().ok_or_else(|| err(pos, "stack underflow"));
    let pop_mark = |stack: &mut Vec<Value>, pos: usize| -> Result<Vec<Value>> {
        let m = stack
            .iter()
            .rposition(|v| *v == Value::Mark)
            .ok_or_else(|| err(pos, "no MARK"))?;
        let items = stack.split_off(m + 1);
        stack.pop();
        Ok(items)
    };
    loop {
        let op = *take(&mut pos, 1)?
            .first()
            .ok_or_else(|| err(pos, "empty"))?;
        match op {
            0x80 => {
                take(&mut pos, 1)?;
            }
            0x95 => {
                take(&mut pos, 8)?;
            }
            b'.' => {
                let v = pop(&mut stack, pos)?;
                return Ok((v, pos));
            }
            b'(' => stack.push(Value::Mark),
            b'}' => stack.push(Value::Dict(Vec::new())),
            b']' => stack.push(Value::List(Vec::new())),
            b')' => stack.push(Value::Tuple(Vec::new())),
            b'N' => stack.push(Value::None),
            0x88 => stack.push(Value::Bool(true)),
            0x89 => stack.push(Value::Bool(false)),
            b'K' => {
                let v = take(&mut pos, 1)?[0] as i64;
                stack.push(Value::Int(v))
            }
            b'M' => {
                let v = le(take(&mut pos, 2)?) as i64;
                stack.push(Value::Int(v))
            }
            b'J' => {
                let b = take(&mut pos, 4)?;
                stack.push(Value::Int(
                    i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64
                ))
            }
            0x8a => {
                let n = take(&mut pos, 1)?[0] as usize;
                let b = take(&mut pos, n)?;
                let mut v: i128 = 0;
                for (i, &x) in b.iter().enumerate().take(16) {
                    v |= (x as i128) << (8 * i);
                }
                if n > 0 && n < 16 && b[n - 1] & 0x80 != 0 {
                    v -= 1i128 << (8 * n);
                }
                stack.push(Value::Int(v as i64))
            }
            b'G' => {
                let b = take(&mut pos, 8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                stack.push(Value::Float(f64::from_be_bytes(a)))
            }
            b'X' | 0x8c | 0x8d => {
                let n = match op {
                    b'X' => le(take(&mut pos, 4)?) as usize,
                    0x8c => take(&mut pos, 1)?[0] as usize,
                    _ => le(take(&mut pos, 8)?) as usize,
                };
                let s = String::from_utf8_lossy(take(&mut pos, n)?).into_owned();
                stack.push(Value::Str(s))
            }
            b'U' | b'T' | b'C' | b'B' | 0x8e => {
                let n = match op {
                    b'U' | b'C' => take(&mut pos, 1)?[0] as usize,
                    b'T' | b'B' => le(take(&mut pos, 4)?) as usize,
                    _ => le(take(&mut pos, 8)?) as usize,
                };
                let b = take(&mut pos, n)?.to_vec();
                stack.push(if matches!(op, b'U' | b'T') {
                    Value::Str(String::from_utf8_lossy(&b).into_owned())
                } else {
                    Value::Bytes(b)
                })
            }
            b'c' => {
                let rest = &data[pos..];
                let nl1 = rest
                    .iter()
                    .position(|&b| b == b'\n')
                    .ok_or_else(|| err(pos, "bad GLOBAL"))?;
                let module = String::from_utf8_lossy(&rest[..nl1]).into_owned();
                let rest2 = &rest[nl1 + 1..];
                let nl2 = rest2
                    .iter()
                    .position(|&b| b == b'\n')
                    .ok_or_else(|| err(pos, "bad GLOBAL"))?;
                let name = String::from_utf8_lossy(&rest2[..nl2]).into_owned();
                pos += nl1 + nl2 + 2;
                stack.push(Value::Global(module, name))
            }
            0x93 => {
                let name = pop(&mut stack, pos)?;
                let module = pop(&mut stack, pos)?;
                match (module, name) {
                    (Value::Str(m), Value::Str(n)) => stack.push(Value::Global(m, n)),
                    _ => return Err(err(pos, "STACK_GLOBAL needs two strings")),
                }
            }
            b'q' => {
                let k = take(&mut pos, 1)?[0] as u64;
                let v = stack
                    .last()
                    .cloned()
                    .ok_or_else(|| err(pos, "empty stack"))?;
                memo.insert(k, v);
            }
            b'r' => {
                let k = le(take(&mut pos, 4)?);
                let v = stack
                    .last()
                    .cloned()
                    .ok_or_else(|| err(pos, "empty stack"))?;
                memo.insert(k, v);
            }
            0x94 => {
                let k = memo.len() as u64;
                let v = stack
                    .last()
                    .cloned()
                    .ok_or_else(|| err(pos, "empty stack"))?;
                memo.insert(k, v);
            }
            b'h' | b'j' => {
                let k = if op == b'h' {
                    take(&mut pos, 1)?[0] as u64
                } else {
                    le(take(&mut pos, 4)?)
                };
                let v = memo
                    .get(&k)
                    .cloned()
                    .ok_or_else(|| err(pos, "memo key missing"))?;
                stack.push(v)
            }
            b't' => {
                let items = pop_mark(&mut stack, pos)?;
                stack.push(Value::Tuple(items))
            }
            0x85..=0x87 => {
                let n = (op - 0x84) as usize;
                if stack.len() < n {
                    return Err(err(pos, "stack underflow"));
                }
                let items = stack.split_off(stack.len() - n);
                stack.push(Value::Tuple(items))
            }
            b'l' => {
                let items = pop_mark(&mut stack, pos)?;
                stack.push(Value::List(items))
            }
            b'd' => {
                let items = pop_mark(&mut stack, pos)?;
                let pairs = items
                    .chunks(2)
                    .filter(|c| c.len() == 2)
                    .map(|c| (c[0].clone(), c[1].clone()))
                    .collect();
                stack.push(Value::Dict(pairs))
            }
            b'a' => {
                let v = pop(&mut stack, pos)?;
                if let Some(Value::List(l)) = stack.last_mut() {
                    l.push(v)
                }
            }
            b'e' => {
                let items = pop_mark(&mut stack, pos)?;
                if let Some(Value::List(l)) = stack.last_mut() {
                    l.extend(items)
                }
            }
            b's' | b'u' => {
                let items = if op == b's' {
                    let v = pop(&mut stack, pos)?;
                    let k = pop(&mut stack, pos)?;
                    vec![k, v]
                } else {
                    pop_mark(&mut stack, pos)?
                };
                match stack.last_mut() {
                    Some(Value::Dict(d)) => d.extend(
                        items
                            .chunks(2)
                            .filter(|c| c.len() == 2)
                            .map(|c| (c[0].clone(), c[1].clone())),
                    ),
                    Some(Value::Call(_, _)) => {
                        // OrderedDict built by REDUCE, then SETITEMS: turn it into a dict.
                        let pairs: Vec<(Value, Value)> = items
                            .chunks(2)
                            .filter(|c| c.len() == 2)
                            .map(|c| (c[0].clone(), c[1].clone()))
                            .collect();
                        if let Some(top) = stack.last_mut() {
                            *top = Value::Dict(pairs);
                        }
                    }
                    _ => return Err(err(pos, "SETITEM(S) on a non-dict")),
                }
            }
            b'R' | 0x81 => {
                let args = pop(&mut stack, pos)?;
                let f = pop(&mut stack, pos)?;
                let v = match &f {
                    Value::Global(m, n) if m == "collections" && n == "OrderedDict" => {
                        Value::Dict(Vec::new())
                    }
                    _ => Value::Call(Box::new(f), Box::new(args)),
                };
                stack.push(v)
            }
            b'b' => {
                // BUILD: keep the object, drop the state (e.g. a state dict's `_metadata`).
                pop(&mut stack, pos)?;
            }
            b'Q' => {
                let pid = pop(&mut stack, pos)?;
                stack.push(Value::PersId(Box::new(pid)))
            }
            b'0' => {
                pop(&mut stack, pos)?;
            }
            b'2' => {
                let v = stack
                    .last()
                    .cloned()
                    .ok_or_else(|| err(pos, "empty stack"))?;
                stack.push(v)
            }
            _ => return Err(err(pos - 1, &format!("unsupported opcode 0x{op:02x}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_python_dict_with_tuple_and_negative_long() {
        // pickle.dumps({'a': (1, -2, 3.5), 'b': [None, True]}, protocol=2) with LONG1 -300
        let data: &[u8] = b"\x80\x02}q\x00(X\x01\x00\x00\x00aq\x01K\x01\x8a\x02\xd4\xfeG@\x0c\x00\x00\x00\x00\x00\x00\x87q\x02X\x01\x00\x00\x00bq\x03]q\x04(N\x88eu.";
        let (v, n) = parse(data, Path::new("x")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n, data.len());
        let Value::Dict(d) = v else {
            panic!("not a dict")
        };
        assert_eq!(
            d[0].1,
            Value::Tuple(vec![Value::Int(1), Value::Int(-300), Value::Float(3.5)])
        );
        assert_eq!(d[1].1, Value::List(vec![Value::None, Value::Bool(true)]));
    }
}
