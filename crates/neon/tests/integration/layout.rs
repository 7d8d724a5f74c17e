//! The module graph of every crate of the workspace has no cycle: no module imports a module
//! that imports it back (a model folder does not reach into the registry that lists it, the
//! kernels do not reach into the models). An edge A → B is a path in A's code (outside its
//! test modules) that resolves into module B (`crate::…`, `super::…`, `self::…`), or a
//! `pub use` of a child module by its parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module a file defines, and whether it is a directory module (`mod.rs`, `lib.rs`).
fn module_of(src: &Path, file: &Path) -> (Module, bool) {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Module = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let is_dir = matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    );
    if is_dir {
        parts.pop();
    }
    (parts, is_dir)
}

/// Code without comments and without the test modules (`#[cfg(test)] mod …` to the end).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b`, `super::a`, `self::a` path in `code`, as (root, segments).
fn paths(code: &str) -> Vec<(String, Vec<String>)> {
    let bytes = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    for root in ["crate", "super", "self"] {
        let mut start = 0;
        while let Some(found) = code[start..].find(root) {
            let i = start + found;
            start = i + root.len();
            let before_ok = i == 0 || !(ident(bytes[i - 1]) || bytes[i - 1] == b'$');
            if !before_ok || !code[start..].starts_with("::") {
                continue;
            }
            let mut segments = Vec::new();
            let mut j = start;
            while code[j..].starts_with("::") {
                let k = j + 2;
                let end = k + code[k..].bytes().take_while(|&c| ident(c)).count();
                if end == k {
                    break;
                }
                segments.push(code[k..end].to_string());
                j = end;
            }
            if code[j..].starts_with("::{") {
                // a group: `crate::a::{b, c::d}` names `a::b` and `a::c::d`
                let open = j + 3;
                let mut depth = 1;
                let mut close = open;
                for (k, c) in code[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        close = open + k;
                        break;
                    }
                }
                let mut depth = 0;
                let mut item = String::new();
                for c in code[open..close].chars().chain([',']) {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            let mut full = segments.clone();
                            full.extend(
                                item.split("::")
                                    .map(|s| s.trim().trim_start_matches('{').to_string())
                                    .take_while(|s| !s.is_empty() && s.bytes().all(ident)),
                            );
                            out.push((root.to_string(), full));
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
                continue;
            }
            out.push((root.to_string(), segments));
        }
    }
    out
}

fn cycles(src: &Path) -> Vec<Vec<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeMap<Module, (PathBuf, bool)> = files
        .iter()
        .map(|f| {
            let (m, is_dir) = module_of(src, f);
            (m, (f.clone(), is_dir))
        })
        .collect();
    let resolve = |path: &[String]| -> Module {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| modules.contains_key(p))
            .unwrap_or_default()
    };
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, (file, is_dir)) in &modules {
        let text = std::fs::read_to_string(file).expect("read source");
        let code = code(&text);
        let parent: Module = module[..module.len().saturating_sub(1)].to_vec();
        for (root, mut segments) in paths(&code) {
            let mut base = match root.as_str() {
                "crate" => Vec::new(),
                "self" => module.clone(),
                // `super` of `a::b` (file a/b.rs or a/b/mod.rs) is `a`
                _ => parent.clone(),
            };
            while segments.first().is_some_and(|s| s == "super") {
                segments.remove(0);
                base.pop();
            }
            base.extend(segments);
            let target = resolve(&base);
            if &target != module {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
        if *is_dir {
            for line in code.lines() {
                if let Some(rest) = line.trim().strip_prefix("pub use ") {
                    let child: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let mut path = module.clone();
                    path.push(child);
                    if modules.contains_key(&path) {
                        edges.entry(module.clone()).or_default().insert(path);
                    }
                }
            }
        }
    }
    // every cycle shows up as a module that reaches itself
    let mut found = Vec::new();
    for start in modules.keys() {
        let mut stack: Vec<(Module, Vec<Module>)> = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((node, trail)) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if next == start {
                    let names = trail
                        .iter()
                        .chain([next])
                        .map(|m| {
                            if m.is_empty() {
                                "crate".into()
                            } else {
                                m.join("::")
                            }
                        })
                        .collect();
                    found.push(names);
                } else if seen.insert(next.clone()) {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    found
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut checked = 0;
    for name in [
        "neon",
        "neon-cli",
        "neon-cnn",
        "neon-report",
        "neon-studies",
    ] {
        let src = crates.join(name).join("src");
        if !src.is_dir() {
            continue;
        }
        checked += 1;
        let found = cycles(&src);
        assert!(found.is_empty(), "{name}: import cycles {found:#?}");
    }
    assert!(
        checked >= 1,
        "no crate sources found under {}",
        crates.display()
    );
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("models")).expect("mkdir");
    std::fs::write(src.join("lib.rs"), "pub mod models;\n").expect("write");
    std::fs::write(
        src.join("models/mod.rs"),
        "mod kde;\npub use kde::Kde;\npub struct Target;\n",
    )
    .expect("write");
    std::fs::write(
        src.join("models/kde.rs"),
        "use crate::models::Target;\npub struct Kde;\n",
    )
    .expect("write");
    let found = cycles(src);
    assert!(
        found
            .iter()
            .any(|c| c.contains(&"models".to_string()) && c.contains(&"models::kde".to_string())),
        "{found:?}"
    );
    std::fs::write(
        src.join("models/kde.rs"),
        "use crate::options::Target;\npub struct Kde;\n",
    )
    .expect("write");
    assert!(cycles(src).is_empty());
}
