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

/// Deepest nesting of containers accepted; a state dict needs a handful of levels, and a deeper
/// value would overflow the stack when dropped.
const MAX_DEPTH: usize = 100;

/// What one value node counts against the budget, in bytes (strings count their length on top).
const NODE_COST: usize = std::mem::size_of::<Value>();

/// Size and nesting of a value on the stack or in the memo.
#[derive(Debug, Clone, Copy)]
struct Meta {
    cost: usize,
    depth: usize,
}

struct Parser<'d, 'p> {
    data: &'d [u8],
    path: &'p Path,
    pos: usize,
    stack: Vec<(Value, Meta)>,
    memo: std::collections::HashMap<u64, (Value, Meta)>,
    /// Bytes of values built or copied so far, and the most allowed.
    spent: usize,
    budget: usize,
}

impl Parser<'_, '_> {
    fn err(&self, what: &str) -> CnnError {
        CnnError::format(
            self.path,
            "pth",
            format!("pickle: {what} at byte {}", self.pos),
        )
    }

    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or_else(|| self.err("unexpected end"))?;
        let data = self.data;
        let s = &data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// A little-endian unsigned integer of `n ≤ 8` bytes.
    fn le(&mut self, n: usize) -> Result<u64> {
        Ok(self
            .take(n)?
            .iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | x as u64))
    }

    /// A length prefix of `n` bytes, as `usize`.
    fn len(&mut self, n: usize) -> Result<usize> {
        let v = self.le(n)?;
        usize::try_from(v).map_err(|_| self.err("length too large"))
    }

    /// Count `cost` bytes against the budget: memo references can copy a value many times over,
    /// so a small pickle could otherwise build objects of any size.
    fn spend(&mut self, cost: usize) -> Result<()> {
        self.spent = self.spent.saturating_add(cost);
        if self.spent > self.budget {
            return Err(self.err(&format!(
                "the objects built exceed {} bytes for a pickle of {} bytes (memo references copying data?)",
                self.budget,
                self.data.len()
            )));
        }
        Ok(())
    }

    /// Push a scalar, string or global.
    fn push_leaf(&mut self, v: Value) -> Result<()> {
        let payload = match &v {
            Value::Str(s) => s.len(),
            Value::Bytes(b) => b.len(),
            Value::Global(m, n) => m.len() + n.len(),
            _ => 0,
        };
        let meta = Meta {
            cost: NODE_COST + payload,
            depth: 1,
        };
        self.spend(meta.cost)?;
        self.stack.push((v, meta));
        Ok(())
    }

    /// The size and nesting of a container holding `items`, refused when too deep.
    fn container_meta<'v>(&self, items: impl Iterator<Item = &'v Meta>) -> Result<Meta> {
        let mut meta = Meta {
            cost: NODE_COST,
            depth: 1,
        };
        for m in items {
            meta.cost = meta.cost.saturating_add(m.cost);
            meta.depth = meta.depth.max(m.depth + 1);
        }
        if meta.depth > MAX_DEPTH {
            return Err(self.err(&format!("objects nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(meta)
    }

    /// Push a container built from `items`.
    fn push_container(
        &mut self,
        items: Vec<(Value, Meta)>,
        make: impl FnOnce(Vec<Value>) -> Value,
    ) -> Result<()> {
        let meta = self.container_meta(items.iter().map(|(_, m)| m))?;
        self.spend(NODE_COST)?;
        let value = make(items.into_iter().map(|(v, _)| v).collect());
        self.stack.push((value, meta));
        Ok(())
    }

    fn pop(&mut self) -> Result<(Value, Meta)> {
        self.stack.pop().ok_or_else(|| self.err("stack underflow"))
    }

    /// The items above the topmost MARK (the MARK removed).
    fn pop_mark(&mut self) -> Result<Vec<(Value, Meta)>> {
        let m = self
            .stack
            .iter()
            .rposition(|(v, _)| *v == Value::Mark)
            .ok_or_else(|| self.err("no MARK"))?;
        let items = self.stack.split_off(m + 1);
        self.stack.pop();
        Ok(items)
    }

    /// A copy of the top of the stack, counted against the budget.
    fn copy_top(&mut self) -> Result<(Value, Meta)> {
        let top = self
            .stack
            .last()
            .map(|(_, m)| *m)
            .ok_or_else(|| self.err("empty stack"))?;
        self.spend(top.cost)?;
        self.stack
            .last()
            .cloned()
            .ok_or_else(|| self.err("empty stack"))
    }

    fn memo_put(&mut self, key: u64) -> Result<()> {
        let v = self.copy_top()?;
        self.memo.insert(key, v);
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Result<()> {
        let cost = self
            .memo
            .get(&key)
            .map(|(_, m)| m.cost)
            .ok_or_else(|| self.err("memo key missing"))?;
        self.spend(cost)?;
        let v = self
            .memo
            .get(&key)
            .cloned()
            .ok_or_else(|| self.err("memo key missing"))?;
        self.stack.push(v);
        Ok(())
    }

    /// Add `(key, value)` pairs to the dict on top of the stack (SETITEM, SETITEMS).
    fn set_items(&mut self, items: Vec<(Value, Meta)>) -> Result<()> {
        let pos_err = self.err("SETITEM(S) on a non-dict");
        let depth_err = self.err(&format!("objects nested deeper than {MAX_DEPTH} levels"));
        let Some((top, meta)) = self.stack.last_mut() else {
            return Err(pos_err);
        };
        for (_, m) in &items {
            meta.cost = meta.cost.saturating_add(m.cost);
            meta.depth = meta.depth.max(m.depth + 1);
        }
        if meta.depth > MAX_DEPTH {
            return Err(depth_err);
        }
        let pairs = pairs(items.into_iter().map(|(v, _)| v).collect());
        match top {
            Value::Dict(d) => d.extend(pairs),
            // OrderedDict built by REDUCE, then SETITEMS: turn it into a dict.
            Value::Call(_, _) => *top = Value::Dict(pairs),
            _ => return Err(pos_err),
        }
        Ok(())
    }

    /// Append to the list on top of the stack (APPEND, APPENDS); other objects ignore it.
    fn append(&mut self, items: Vec<(Value, Meta)>) -> Result<()> {
        let depth_err = self.err(&format!("objects nested deeper than {MAX_DEPTH} levels"));
        if let Some((Value::List(l), meta)) = self.stack.last_mut() {
            for (v, m) in items {
                meta.cost = meta.cost.saturating_add(m.cost);
                meta.depth = meta.depth.max(m.depth + 1);
                l.push(v);
            }
            if meta.depth > MAX_DEPTH {
                return Err(depth_err);
            }
        }
        Ok(())
    }

    fn run(&mut self) -> Result<(Value, usize)> {
        loop {
            let op = self.byte()?;
            match op {
                0x80 => {
                    self.take(1)?;
                }
                0x95 => {
                    self.take(8)?;
                }
                b'.' => {
                    let (v, _) = self.pop()?;
                    return Ok((v, self.pos));
                }
                b'(' => self.push_leaf(Value::Mark)?,
                b'}' => self.push_leaf(Value::Dict(Vec::new()))?,
                b']' => self.push_leaf(Value::List(Vec::new()))?,
                b')' => self.push_leaf(Value::Tuple(Vec::new()))?,
                b'N' => self.push_leaf(Value::None)?,
                0x88 => self.push_leaf(Value::Bool(true))?,
                0x89 => self.push_leaf(Value::Bool(false))?,
                b'K' => {
                    let v = self.byte()? as i64;
                    self.push_leaf(Value::Int(v))?
                }
                b'M' => {
                    let v = self.le(2)? as i64;
                    self.push_leaf(Value::Int(v))?
                }
                b'J' => {
                    let v = self.le(4)? as u32 as i32 as i64;
                    self.push_leaf(Value::Int(v))?
                }
                0x8a => {
                    let n = self.byte()? as usize;
                    let b = self.take(n)?;
                    let mut v: i128 = 0;
                    for (i, &x) in b.iter().enumerate().take(16) {
                        v |= (x as i128) << (8 * i);
                    }
                    if n > 0 && n < 16 && b[n - 1] & 0x80 != 0 {
                        v -= 1i128 << (8 * n);
                    }
                    self.push_leaf(Value::Int(v as i64))?
                }
                b'G' => {
                    let b = self.take(8)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    self.push_leaf(Value::Float(f64::from_be_bytes(a)))?
                }
                b'X' | 0x8c | 0x8d => {
                    let n = match op {
                        b'X' => self.len(4)?,
                        0x8c => self.len(1)?,
                        _ => self.len(8)?,
                    };
                    let s = String::from_utf8_lossy(self.take(n)?).into_owned();
                    self.push_leaf(Value::Str(s))?
                }
                b'U' | b'T' | b'C' | b'B' | 0x8e => {
                    let n = match op {
                        b'U' | b'C' => self.len(1)?,
                        b'T' | b'B' => self.len(4)?,
                        _ => self.len(8)?,
                    };
                    let b = self.take(n)?;
                    let v = if matches!(op, b'U' | b'T') {
                        Value::Str(String::from_utf8_lossy(b).into_owned())
                    } else {
                        Value::Bytes(b.to_vec())
                    };
                    self.push_leaf(v)?
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.push_leaf(Value::Global(module, name))?
                }
                0x93 => {
                    let (name, _) = self.pop()?;
                    let (module, _) = self.pop()?;
                    match (module, name) {
                        (Value::Str(m), Value::Str(n)) => self.push_leaf(Value::Global(m, n))?,
                        _ => return Err(self.err("STACK_GLOBAL needs two strings")),
                    }
                }
                b'q' => {
                    let k = self.le(1)?;
                    self.memo_put(k)?
                }
                b'r' => {
                    let k = self.le(4)?;
                    self.memo_put(k)?
                }
                0x94 => {
                    let k = self.memo.len() as u64;
                    self.memo_put(k)?
                }
                b'h' => {
                    let k = self.le(1)?;
                    self.memo_get(k)?
                }
                b'j' => {
                    let k = self.le(4)?;
                    self.memo_get(k)?
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.push_container(items, Value::Tuple)?
                }
                0x85..=0x87 => {
                    let n = (op - 0x84) as usize;
                    if self.stack.len() < n {
                        return Err(self.err("stack underflow"));
                    }
                    let items = self.stack.split_off(self.stack.len() - n);
                    self.push_container(items, Value::Tuple)?
                }
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push_container(items, Value::List)?
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    self.push_container(items, |v| Value::Dict(pairs(v)))?
                }
                b'a' => {
                    let v = self.pop()?;
                    self.append(vec![v])?
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    self.append(items)?
                }
                b's' => {
                    let v = self.pop()?;
                    let k = self.pop()?;
                    self.set_items(vec![k, v])?
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    self.set_items(items)?
                }
                b'R' | 0x81 => {
                    let args = self.pop()?;
                    let f = self.pop()?;
                    match &f.0 {
                        Value::Global(m, n) if m == "collections" && n == "OrderedDict" => {
                            self.push_leaf(Value::Dict(Vec::new()))?
                        }
                        _ => self.push_container(vec![f, args], |mut v| {
                            let args = v.pop().unwrap_or(Value::None);
                            let f = v.pop().unwrap_or(Value::None);
                            Value::Call(Box::new(f), Box::new(args))
                        })?,
                    }
                }
                b'b' => {
                    // BUILD: keep the object, drop the state (e.g. a state dict's `_metadata`).
                    self.pop()?;
                }
                b'Q' => {
                    let pid = self.pop()?;
                    self.push_container(vec![pid], |mut v| {
                        Value::PersId(Box::new(v.pop().unwrap_or(Value::None)))
                    })?
                }
                b'0' => {
                    self.pop()?;
                }
                b'2' => {
                    let v = self.copy_top()?;
                    self.stack.push(v)
                }
                _ => {
                    self.pos -= 1;
                    return Err(self.err(&format!("unsupported opcode 0x{op:02x}")));
                }
            }
        }
    }

    /// A newline-terminated text argument (GLOBAL).
    fn line(&mut self) -> Result<String> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| self.err("bad GLOBAL"))?;
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        self.pos += n + 1;
        Ok(s)
    }
}

/// `[k0, v0, k1, v1, …]` as pairs (an odd last item is dropped).
fn pairs(items: Vec<Value>) -> Vec<(Value, Value)> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    out
}

/// Parse one pickle starting at `data[0]`; returns the value and the number of bytes consumed.
/// The objects built (memo copies included) are bounded by a multiple of the pickle's length,
/// and their nesting by [`MAX_DEPTH`].
pub(crate) fn parse(data: &[u8], path: &Path) -> Result<(Value, usize)> {
    let mut parser = Parser {
        data,
        path,
        pos: 0,
        stack: Vec::new(),
        memo: std::collections::HashMap::new(),
        spent: 0,
        budget: data.len().saturating_mul(64).saturating_add(1 << 20),
    };
    parser.run()
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

    #[test]
    fn memo_references_that_copy_a_list_exponentially_are_refused_within_the_budget() {
        // l = [b"x" * 64]; then 40 times: l = [l, l] through the memo (BINPUT / BINGET): the
        // value doubles each step, 2^40 copies from a pickle of a few hundred bytes
        let mut data = b"\x80\x02](C\x40".to_vec();
        data.extend([b'x'; 64]);
        data.extend(b"eq\x00");
        for _ in 0..40 {
            data.extend(b"](h\x00h\x00eq\x00");
        }
        data.push(b'.');
        let err = parse(&data, Path::new("bomb.pth"))
            .map(|_| ())
            .expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("bomb.pth"), "{text}");
        assert!(text.contains("the objects built exceed"), "{text}");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused() {
        let mut data = b"\x80\x02".to_vec();
        // [[[[…]]]] 10 000 levels deep: EMPTY_LIST MARK … EMPTY_LIST, then APPENDS … APPENDS
        for _ in 0..10_000 {
            data.extend(b"](");
        }
        data.push(b']');
        data.extend([b'e'; 10_000]);
        data.push(b'.');
        let err = parse(&data, Path::new("deep.pth"))
            .map(|_| ())
            .expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("deep.pth"), "{text}");
        assert!(text.contains("nested deeper than 100 levels"), "{text}");
    }
}
