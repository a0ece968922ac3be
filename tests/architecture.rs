#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on the unexpected
//! No import cycle among tipdesk's modules (issue 13: a piece in the wrong
//! room shows up as one).
//!
//! A module is a file of `src/` (`a/mod.rs` is `a`). Module `a` depends on
//! `b` when `a`'s code names an item of `b` (`use crate::b::X`,
//! `super::b::f()`, `crate::b::X` inline, a macro whose expansion names
//! `b`); a name a module re-exports from its child (`pub use child::X`)
//! counts as the child's. A module naming its own descendants is not a
//! dependency between rooms (a parent declares and re-exports its
//! children); everything else is. Test code (`#[cfg(test)] mod ...`) and
//! `main.rs` are left out.
//!
//! A cycle is allowed only where the importing module's doc says why it is
//! right, on a line of its own: `//! Import cycle with `crate::x::y`: why.`
//! A note whose import no longer closes a cycle fails too, so notes do not
//! outlive their reasons.
//!
//! Hand-written: the tools that know Rust's module graph (cargo-modules,
//! rust-analyzer) are large programs to build on every machine for one
//! check, and reading paths is enough for a crate written in ordinary
//! style (no `#[path]`, no glob re-exports across rooms).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

type Module = Vec<String>;

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        format!("crate::{}", m.join("::"))
    }
}

/// One crate's modules and the imports between them.
struct Graph {
    /// Module -> its code without comments, strings or tests.
    code: BTreeMap<Module, String>,
    /// Module -> its `//!` doc.
    docs: BTreeMap<Module, String>,
    /// Module -> modules it imports, each with one path that shows it.
    edges: BTreeMap<Module, BTreeMap<Module, String>>,
}

impl Graph {
    /// `sources`: file path relative to `src/` (`a/b.rs`, `a/mod.rs`) ->
    /// its text.
    fn new(sources: &BTreeMap<String, String>) -> Self {
        let mut code = BTreeMap::new();
        let mut docs = BTreeMap::new();
        for (path, text) in sources {
            if path == "main.rs" {
                continue;
            }
            let mut m: Module = path
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_owned)
                .collect();
            if matches!(m.last().map(String::as_str), Some("mod" | "lib")) {
                m.pop();
            }
            let doc: String = text
                .lines()
                .map(str::trim_start)
                .filter_map(|l| l.strip_prefix("//!"))
                .map(|l| format!("{}\n", l.trim()))
                .collect();
            docs.insert(m.clone(), doc);
            code.insert(m, strip(text));
        }
        let mut graph = Self {
            code,
            docs,
            edges: BTreeMap::new(),
        };
        graph.link();
        graph
    }

    fn is_module(&self, m: &[String]) -> bool {
        self.code.contains_key(m)
    }

    /// `mod x;` declarations of `m`.
    fn children(&self, m: &[String]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for line in self.code[m].lines() {
            let line = line.trim();
            let line = line
                .strip_prefix("pub(crate) ")
                .or_else(|| line.strip_prefix("pub "))
                .unwrap_or(line);
            if let Some(rest) = line.strip_prefix("mod ") {
                if let Some(child) = rest.strip_suffix(';') {
                    out.insert(child.trim().to_owned());
                }
            }
        }
        out
    }

    /// Names `m` re-exports from its children: name -> child module.
    fn reexports(&self, m: &[String]) -> HashMap<String, Module> {
        let children = self.children(m);
        let mut out = HashMap::new();
        for (public, tree) in use_trees(&self.code[m]) {
            if !public {
                continue;
            }
            for path in expand(&tree) {
                let segs: Vec<&str> = path.split("::").map(str::trim).collect();
                let segs = if segs.first() == Some(&"self") {
                    &segs[1..]
                } else {
                    &segs[..]
                };
                if segs.len() >= 2 && children.contains(segs[0]) {
                    let mut child = m.to_vec();
                    child.push(segs[0].to_owned());
                    let item = segs[segs.len() - 1];
                    let item = item.rsplit(" as ").next().unwrap_or(item).trim();
                    out.insert(item.to_owned(), child);
                }
            }
        }
        out
    }

    /// The modules `path`, written in module `from`, names.
    fn resolve(
        &self,
        from: &[String],
        path: &str,
        children: &BTreeSet<String>,
        reexports: &HashMap<Module, HashMap<String, Module>>,
        macros: &HashMap<String, BTreeSet<Module>>,
    ) -> Vec<Module> {
        let segs: Vec<&str> = path
            .split("::")
            .map(|s| s.trim().trim_end_matches('!'))
            .collect();
        let (mut base, rest): (Module, &[&str]) = match segs[0] {
            "crate" | "$crate" => (Vec::new(), &segs[1..]),
            "super" => {
                let mut base = from.to_vec();
                let mut i = 0;
                while segs.get(i) == Some(&"super") {
                    base.pop();
                    i += 1;
                }
                (base, &segs[i..])
            }
            "self" => (from.to_vec(), &segs[1..]),
            first if children.contains(first) => (from.to_vec(), &segs[..]),
            _ => return Vec::new(),
        };
        let mut i = 0;
        while i < rest.len() {
            let mut next = base.clone();
            next.push(rest[i].to_owned());
            if !self.is_module(&next) {
                break;
            }
            base = next;
            i += 1;
        }
        let mut out = vec![base.clone()];
        if let Some(item) = rest.get(i) {
            if base.is_empty() {
                if let Some(ms) = macros.get(*item) {
                    return ms.iter().cloned().collect();
                }
            }
            if let Some(child) = reexports.get(&base).and_then(|r| r.get(*item)) {
                out.push(child.clone());
            }
        }
        out
    }

    fn link(&mut self) {
        let reexports: HashMap<Module, HashMap<String, Module>> = self
            .code
            .keys()
            .map(|m| (m.clone(), self.reexports(m)))
            .collect();
        let mut edges: BTreeMap<Module, BTreeMap<Module, String>> = BTreeMap::new();
        // Exported macros first: a use of one depends on what it expands to.
        let mut macros: HashMap<String, BTreeSet<Module>> = HashMap::new();
        for (m, code) in &self.code {
            for (macro_name, body) in exported_macros(code) {
                let children = self.children(m);
                let targets = inline_paths(&body)
                    .iter()
                    .filter(|p| p.starts_with("$crate::"))
                    .flat_map(|p| self.resolve(m, p, &children, &reexports, &HashMap::new()))
                    .filter(|t| !t.is_empty())
                    .collect();
                macros.insert(macro_name, targets);
            }
        }
        for (m, code) in &self.code {
            let children = self.children(m);
            let mut paths: Vec<String> = use_trees(code)
                .into_iter()
                .flat_map(|(_, tree)| expand(&tree))
                .collect();
            paths.extend(inline_paths(code));
            for path in paths {
                for target in self.resolve(m, &path, &children, &reexports, &macros) {
                    // Itself, the crate root, or its own descendants.
                    if target.is_empty() || target.starts_with(m) {
                        continue;
                    }
                    edges
                        .entry(m.clone())
                        .or_default()
                        .entry(target)
                        .or_insert(path.clone());
                }
            }
        }
        self.edges = edges;
    }

    /// Imports a module's doc allows to close a cycle.
    fn notes(&self) -> Vec<(Module, String)> {
        let mut out = Vec::new();
        for (m, doc) in &self.docs {
            for line in doc.lines() {
                if let Some(rest) = line.strip_prefix("Import cycle with `") {
                    if let Some((target, _why)) = rest.split_once('`') {
                        out.push((m.clone(), target.to_owned()));
                    }
                }
            }
        }
        out
    }

    /// Every cycle left once the noted imports are set aside, each as the
    /// imports between its modules; and each note whose import is gone.
    fn problems(&self) -> (Vec<Vec<String>>, Vec<String>) {
        let notes = self.notes();
        let noted: BTreeSet<(String, String)> =
            notes.iter().map(|(m, t)| (name(m), t.clone())).collect();
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, targets) in &self.edges {
            for to in targets.keys() {
                if !noted.contains(&(name(from), name(to))) {
                    graph.entry(name(from)).or_default().insert(name(to));
                }
            }
        }
        let cycles = strongly_connected(&graph)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|component| {
                let mut lines = Vec::new();
                for (from, targets) in &self.edges {
                    for (to, path) in targets {
                        if component.contains(&name(from)) && component.contains(&name(to)) {
                            lines.push(format!("{} -> {}  ({path})", name(from), name(to)));
                        }
                    }
                }
                lines
            })
            .collect();
        // A note is needed only for an import that closes a cycle: one
        // between two modules of the same component of the whole graph.
        let mut whole: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, targets) in &self.edges {
            whole
                .entry(name(from))
                .or_default()
                .extend(targets.keys().map(|t| name(t)));
        }
        let components = strongly_connected(&whole);
        let stale = notes
            .iter()
            .filter(|(m, target)| {
                let imports = self
                    .edges
                    .get(m)
                    .is_some_and(|t| t.keys().any(|to| &name(to) == target));
                let in_cycle = components
                    .iter()
                    .any(|c| c.len() > 1 && c.contains(&name(m)) && c.contains(target));
                !(imports && in_cycle)
            })
            .map(|(m, target)| format!("{}: {target}", name(m)))
            .collect();
        (cycles, stale)
    }
}

/// Tarjan's strongly connected components.
fn strongly_connected(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: HashMap<&'a str, usize>,
        low: HashMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<BTreeSet<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(targets) = s.graph.get(v) {
            for w in targets {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.insert(w.to_owned());
                if w == v {
                    break;
                }
            }
            s.out.push(component);
        }
    }
    let mut state = State {
        graph,
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    let nodes: BTreeSet<&str> = graph
        .iter()
        .flat_map(|(k, v)| std::iter::once(k.as_str()).chain(v.iter().map(String::as_str)))
        .collect();
    for v in nodes {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.out
}

/// The code without comments, string and char literals, and without the
/// test module at the end (`#[cfg(test)]` before a `mod`).
fn strip(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = String::new();
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).map_or("", |l| l.trim());
        if line.trim() == "#[cfg(test)]"
            && (next.starts_with("mod ") || next.starts_with("pub mod "))
            && next.ends_with('{')
        {
            break;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    let chars: Vec<char> = kept.chars().collect();
    let mut out = String::with_capacity(kept.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && matches!(next, Some('"' | '#')) && (i == 0 || !is_ident(chars[i - 1]))
        {
            // A raw string: r"...", r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) == Some(&'"') {
                j += 1;
                loop {
                    if j >= chars.len() {
                        break;
                    }
                    if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
            } else {
                out.push(c);
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && chars.get(i + 2) == Some(&'\'') {
            // 'x'
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            // '\n', '\'', '\u{..}'
            i += 2;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Each `use` declaration's tree, and whether it is `pub`.
fn use_trees(code: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = find_word(rest, "use") {
        let before = rest[..at].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let after = &rest[at + 3..];
        let Some(end) = after.find(';') else { break };
        out.push((public, after[..end].trim().to_owned()));
        rest = &after[end..];
    }
    out
}

/// Where `word` starts in `text` as a whole word.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(word) {
        let at = from + at;
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if !before.is_some_and(|c| is_ident(c) || c == ':')
            && after.is_some_and(char::is_whitespace)
        {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// A use tree as flat paths: `a::{b, c::{d, e as f}}` is `a::b`,
/// `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree).trim();
        return vec![path.to_owned()];
    };
    let prefix = tree[..open].trim().trim_end_matches("::");
    let close = tree.rfind('}').unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| match (prefix.is_empty(), p.as_str()) {
            (true, _) => p,
            (false, "self") => prefix.to_owned(),
            (false, _) => format!("{prefix}::{p}"),
        })
        .collect()
}

/// Paths written in code: `crate::a::b`, `super::x`, `$crate::db::Conn`.
fn inline_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for root in ["$crate::", "crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(root) {
            let at = from + at;
            from = at + root.len();
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| is_ident(c) || c == ':' || (c == '$' && root == "crate::")) {
                continue;
            }
            let tail: String = code[at..]
                .chars()
                .take_while(|c| is_ident(*c) || *c == ':' || *c == '$')
                .collect();
            out.push(tail.trim_end_matches(':').to_owned());
        }
    }
    out
}

/// `#[macro_export] macro_rules! name { body }` in `code`.
fn exported_macros(code: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[macro_export]") {
        rest = &rest[at..];
        let Some(m) = rest.find("macro_rules!") else {
            break;
        };
        let after = &rest[m + "macro_rules!".len()..];
        let macro_name: String = after
            .trim_start()
            .chars()
            .take_while(|c| is_ident(*c))
            .collect();
        let Some(open) = after.find('{') else { break };
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push((macro_name, after[open..end].to_owned()));
        rest = &after[end..];
    }
    out
}

fn read_src() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

fn sources(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
        .collect()
}

#[test]
fn no_module_imports_in_a_cycle_without_a_note_saying_why() {
    let graph = Graph::new(&read_src());
    let (cycles, stale) = graph.problems();
    let mut report = String::new();
    for cycle in &cycles {
        report.push_str("a cycle:\n");
        for line in cycle {
            report.push_str(&format!("    {line}\n"));
        }
    }
    for note in &stale {
        report.push_str(&format!("a note for an import that is gone: {note}\n"));
    }
    assert!(
        report.is_empty(),
        "{report}Move the piece to the room it belongs in, or say in the importing \
         module's doc why the cycle is right (`//! Import cycle with `crate::x`: why.`)."
    );
}

#[test]
fn the_graph_sees_the_imports_it_checks() {
    // Known imports of the tree, by each way of writing one: if the reader
    // of paths broke, the check above would pass on an empty graph.
    let graph = Graph::new(&read_src());
    let has = |from: &str, to: &str| {
        graph
            .edges
            .iter()
            .any(|(f, targets)| name(f) == from && targets.keys().any(|t| name(t) == to))
    };
    // `use crate::{a::b, c}` trees, inline paths, macros, re-exports.
    assert!(has("crate::state", "crate::submission::writer"));
    assert!(has("crate::submission::routes", "crate::state"));
    assert!(
        has("crate::triage::search", "crate::db"),
        "db_run! names db"
    );
    assert!(has("crate::app", "crate::state"));
    assert!(
        has("crate::follow_up", "crate::submission::input"),
        "FieldErrors, re-exported"
    );
    assert!(
        graph.edges.len() > 40,
        "{} modules import",
        graph.edges.len()
    );
}

#[test]
fn a_cycle_is_found_in_every_way_of_writing_an_import() {
    let cases = [
        ("use crate::b::f;", "pub fn f() { crate::a::g() }"),
        (
            "use crate::{b::{self, f}};",
            "pub fn f() {}\nuse super::a::g;",
        ),
        (
            "pub fn g() { crate::b::inner::h() }",
            "pub mod inner;\nuse crate::a::g;",
        ),
        (
            "pub fn g() { crate::b::H::new() }",
            "mod inner;\npub use inner::H;\n",
        ),
    ];
    for (a, b) in cases {
        let mut files = vec![
            ("lib.rs", "pub mod a;\npub mod b;"),
            ("a.rs", a),
            ("b.rs", b),
        ];
        files.push(("b/inner.rs", "use crate::a::g;\npub struct H;"));
        let graph = Graph::new(&sources(&files));
        let (cycles, _) = graph.problems();
        assert_eq!(cycles.len(), 1, "{a} | {b}: {:?}", graph.edges);
    }
}

#[test]
fn a_parent_using_its_children_is_no_cycle_and_comments_and_strings_do_not_count() {
    let graph = Graph::new(&sources(&[
        ("lib.rs", "pub mod a;\npub mod b;"),
        ("a/mod.rs", "mod c;\npub use c::C;\nfn f() { c::g() }"),
        ("a/c.rs", "use super::X;\npub struct C;"),
        (
            "b.rs",
            "// crate::a::X\n/* crate::a */\nconst S: &str = \"crate::a::X\";\nuse crate::a::C;",
        ),
    ]));
    let (cycles, stale) = graph.problems();
    assert!(cycles.is_empty() && stale.is_empty(), "{:?}", graph.edges);
    assert_eq!(graph.edges.len(), 2, "{:?}", graph.edges); // a::c -> a, b -> a (and a::c)
}

#[test]
fn a_note_allows_one_import_and_a_stale_note_fails() {
    let noted = "//! Import cycle with `crate::b`: b is a's own back end.\nuse crate::b::f;";
    let graph = Graph::new(&sources(&[
        ("lib.rs", "pub mod a;\npub mod b;"),
        ("a.rs", noted),
        ("b.rs", "use crate::a::g;"),
    ]));
    assert_eq!(graph.problems(), (vec![], vec![]));
    // b no longer imports a: the note outlived its reason.
    let graph = Graph::new(&sources(&[
        ("lib.rs", "pub mod a;\npub mod b;"),
        ("a.rs", noted),
        ("b.rs", "pub fn f() {}"),
    ]));
    assert_eq!(graph.problems().1, vec!["crate::a: crate::b".to_owned()]);
}
