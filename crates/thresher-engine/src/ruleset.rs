//! Loading rules: reading a rules directory, compiling every script once, and building the
//! immutable [`Ruleset`] that processes documents.
//!
//! A rule file is a Rhai script. A file that declares `const OUTLET = #{ id, name, hosts,
//! markers }` holds one outlet's rules; any other file holds generic rules that run on every
//! document. Every public function of one parameter is a rule, and its id is
//! `<file stem>.<function>`: a boilerplate rule when the parameter is `doc`
//! (`fn captions(doc) { ... }`), a claim rule when it is `claim` (`fn denial(claim) { ... }`);
//! `private fn` helpers are not rules. A file may declare `const SPEAKERS = #{ aliases, roles,
//! women, men, people, states }` to teach speaker resolution a domain's aliases and role nouns,
//! first names that tell "she" from "he", people named by surname alone, and the adjectives of
//! states' formal names. Rule tests are TOML
//! files (see [`crate::fixtures`]). The directory layout (`outlets/`, `generic/`, `tests/`) is
//! for people; the loader goes by content, so flat layouts such as Kubernetes ConfigMaps work.
//!
//! Compiling collects every error of every file before giving up, so an author sees them all
//! at once.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use rhai::{AST, CallFnOptions, Dynamic, Engine, EvalAltResult, FnAccess, Map, Scope};
use sha2::{Digest, Sha256};

use crate::claim_rules::{ClaimFacts, ClaimHandle};
use crate::claims::SpeakerKnowledge;
use crate::diag::{Diagnostic, codes};
use crate::document::ClaimForm;
use crate::error::{Error, Result};
use crate::fixtures::Fixture;
use crate::page::{HelperError, Page, PageCtx};
use crate::patterns::{Patterns, Role};
use crate::plan::Plan;
use crate::sandbox::{self, Limits, TIME_BUDGET_TOKEN};

/// The text of every rule file, keyed by path relative to the rules directory ("/"-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSources {
    /// Path → content.
    pub files: BTreeMap<String, String>,
}

impl RuleSources {
    /// Reads every `*.rhai` and `*.toml` file under `dir`, following symlinks and skipping
    /// names that start with a dot (editor swap files, a ConfigMap's `..data` internals are
    /// still reached through the top-level symlinks).
    pub fn read_dir(dir: &Path) -> Result<Self> {
        let mut files = BTreeMap::new();
        read_into(dir, "", &mut files)?;
        Ok(Self { files })
    }

    /// Sources from (path, content) pairs, as the admin API receives them.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self { files: pairs.into_iter().collect() }
    }

    /// Content hash of every file and its path: the ruleset version.
    pub fn version(&self) -> String {
        let mut h = Sha256::new();
        for (path, text) in &self.files {
            h.update((path.len() as u64).to_le_bytes());
            h.update(path.as_bytes());
            h.update((text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        }
        h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
    }
}

fn read_into(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) -> Result<()> {
    let io = |e: std::io::Error| Error::Io { path: dir.display().to_string(), source: e };
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io)?.collect::<Result<_, _>>().map_err(io)?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        // `metadata` follows symlinks; a dangling one (mid-swap) is skipped, not fatal.
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_dir() {
            read_into(&path, &format!("{rel}/"), out)?;
        } else if name.ends_with(".rhai") || name.ends_with(".toml") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
            out.insert(rel, text);
        }
    }
    Ok(())
}

/// One rule: a function in a rule file.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `<file stem>.<function>`.
    pub id: Arc<str>,
    /// File relative to the rules directory.
    pub file: String,
    function: String,
    ast: Arc<AST>,
    /// True for a claim rule (`fn x(claim)`), false for a boilerplate rule (`fn x(doc)`).
    pub on_claims: bool,
    /// Index of its counters in [`Ruleset::counters`].
    pub(crate) slot: usize,
    /// Whether its file allows plans at all (see [`crate::plan`]).
    plannable: bool,
    /// Its helper calls, when they are the same on every document.
    doc_plan: Option<Arc<Plan<Page>>>,
    /// Its helper calls, when they are the same on every claim.
    claim_plan: Option<Arc<Plan<ClaimHandle>>>,
}

impl Rule {
    /// Whether the rule runs as a plan rather than in Rhai.
    pub fn is_planned(&self) -> bool {
        self.doc_plan.is_some() || self.claim_plan.is_some()
    }
}

/// An outlet and its rules.
#[derive(Debug, Clone)]
pub struct Outlet {
    /// Slug id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Hosts whose URLs belong to it ("themoscowtimes.com" also matches subdomains).
    pub hosts: Vec<String>,
    /// Literal phrases whose presence in a text identifies the outlet.
    pub markers: Vec<String>,
    /// The file that declares it.
    pub file: String,
    /// Its rules, in file order.
    pub rules: Vec<Rule>,
}

/// A compiled, immutable set of rules. Build once, share behind an `Arc`, use from any thread.
pub struct Ruleset {
    pub(crate) version: String,
    pub(crate) engine: Engine,
    pub(crate) limits: Limits,
    pub(crate) patterns: Arc<Patterns>,
    pub(crate) outlets: Vec<Outlet>,
    pub(crate) generic: Vec<Rule>,
    pub(crate) claim_rules: Vec<Rule>,
    pub(crate) speakers: SpeakerKnowledge,
    pub(crate) hosts: HashMap<String, usize>,
    pub(crate) markers: Option<Markers>,
    pub(crate) fixtures: Vec<Fixture>,
    pub(crate) files: Vec<String>,
    pub(crate) counters: crate::stats::Counters,
    /// Every rule's id, by slot: what marks and labels name their rule by. A document's page
    /// and claims hold this table and each rule's slot rather than a clone of its id per
    /// rule and claim, a shared count that every document thread would write to.
    pub(crate) rule_ids: Arc<[Arc<str>]>,
}

impl std::fmt::Debug for Ruleset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ruleset")
            .field("version", &self.version)
            .field("outlets", &self.outlets.len())
            .field("generic", &self.generic.len())
            .finish_non_exhaustive()
    }
}

impl Ruleset {
    /// Reads and compiles the rules under `dir`.
    pub fn load_dir(dir: &Path, limits: Limits) -> Result<Self> {
        Self::compile(&RuleSources::read_dir(dir)?, limits)
    }

    /// Compiles `sources`. Fails with every diagnostic found when any file is wrong.
    pub fn compile(sources: &RuleSources, limits: Limits) -> Result<Self> {
        let engine = sandbox::engine(&limits);
        let mut diags = Vec::new();
        let mut outlets: Vec<Outlet> = Vec::new();
        let mut generic = Vec::new();
        let mut claim_rules = Vec::new();
        let mut speakers = SpeakerKnowledge::default();
        let mut fixtures = Vec::new();
        let mut rule_ids: HashMap<Arc<str>, String> = HashMap::new();

        for (path, text) in &sources.files {
            if path.ends_with(".toml") {
                match Fixture::parse(path, text) {
                    Ok(f) => fixtures.push(f),
                    Err(d) => diags.push(d),
                }
                continue;
            }
            let Some(file) = compile_file(&engine, path, text, &mut diags) else { continue };
            for rule in &file.rules {
                if let Some(other) = rule_ids.insert(rule.id.clone(), path.clone()) {
                    diags.push(
                        Diagnostic::error(
                            codes::DUPLICATE_OUTLET,
                            format!("rule id `{}` is also defined in {other}; rename one of the files", rule.id),
                        )
                        .in_file(path.clone()),
                    );
                }
            }
            let (on_claims, on_docs): (Vec<Rule>, Vec<Rule>) = file.rules.into_iter().partition(|r| r.on_claims);
            claim_rules.extend(on_claims);
            if let Some(k) = file.speakers {
                speakers.add_people(&k);
                speakers.aliases.extend(k.aliases);
                speakers.roles.extend(k.roles);
                speakers.first_names.extend(k.first_names);
                for (state, adjective) in k.states {
                    speakers.add_state(&state, adjective);
                }
            }
            match file.outlet {
                Some(mut o) => {
                    o.rules = on_docs;
                    outlets.push(o);
                }
                None => generic.extend(on_docs),
            }
        }

        let mut hosts = HashMap::new();
        let mut ids = HashMap::new();
        for (i, o) in outlets.iter().enumerate() {
            if let Some(j) = ids.insert(o.id.clone(), i) {
                diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_OUTLET,
                        format!("outlet id `{}` is also declared in {}; ids must be unique", o.id, outlets[j].file),
                    )
                    .in_file(o.file.clone()),
                );
            }
            for h in &o.hosts {
                if let Some(j) = hosts.insert(h.clone(), i) {
                    diags.push(
                        Diagnostic::error(
                            codes::DUPLICATE_OUTLET,
                            format!("host `{h}` is also claimed by outlet `{}`", outlets[j].id),
                        )
                        .in_file(o.file.clone()),
                    );
                }
            }
        }
        if outlets.is_empty() && generic.is_empty() && claim_rules.is_empty() && diags.is_empty() {
            diags.push(Diagnostic::error(
                codes::EMPTY_RULESET,
                "no rules found: the rules directory has no .rhai file with a rule function; \
                 check --rules / THRESHER_RULES",
            ));
        }
        let markers = Markers::build(&outlets);
        let all_rules =
            outlets.iter_mut().flat_map(|o| o.rules.iter_mut()).chain(generic.iter_mut()).chain(claim_rules.iter_mut());
        let mut rule_ids = Vec::new();
        for (slot, rule) in all_rules.enumerate() {
            rule.slot = slot;
            rule_ids.push(rule.id.clone());
        }
        let slots = rule_ids.len();
        if diags.iter().any(|d| d.severity == crate::diag::Severity::Error) {
            return Err(Error::Rules(diags));
        }

        let mut rs = Self {
            version: sources.version(),
            engine,
            limits,
            patterns: Arc::default(),
            outlets,
            generic,
            claim_rules,
            speakers,
            hosts,
            markers,
            fixtures,
            files: sources.files.keys().cloned().collect(),
            counters: crate::stats::Counters::new(slots),
            rule_ids: rule_ids.into(),
        };
        let warm = rs.warm_up();
        if warm.is_empty() { Ok(rs) } else { Err(Error::Rules(warm)) }
    }

    /// Runs every rule once on an empty document: compiles the patterns of every
    /// unconditional helper call and reports invalid ones as load errors.
    fn warm_up(&mut self) -> Vec<Diagnostic> {
        let page = Page::new(PageCtx {
            text: String::new(),
            paras: Vec::new(),
            url: String::new(),
            host: String::new(),
            title: String::new(),
            outlet: String::new(),
            metadata: Map::new(),
            patterns: self.patterns.clone(),
            rule_ids: self.rule_ids.clone(),
        });
        let claim = ClaimHandle::new(ClaimFacts {
            text: String::new(),
            start: 0,
            cue: String::new(),
            cue_span: None,
            form: ClaimForm::Indirect,
            speaker: String::new(),
            mention: String::new(),
            outlet: String::new(),
            patterns: self.patterns.clone(),
            rule_ids: self.rule_ids.clone(),
            needles: None,
        });
        // The generic rules' line patterns and the claim rules' text patterns each become one
        // set (see `patterns`); outlet rules run on few documents and keep their own.
        let mut diags = Vec::new();
        self.patterns.gather(Role::Line);
        let mut generic = std::mem::take(&mut self.generic);
        diags.extend(generic.iter_mut().filter_map(|r| self.plan_doc_rule(r, &page).err()));
        self.generic = generic;
        self.patterns.seal();
        let mut outlets = std::mem::take(&mut self.outlets);
        let outlet_rules = outlets.iter_mut().flat_map(|o| o.rules.iter_mut());
        diags.extend(outlet_rules.filter_map(|r| self.plan_doc_rule(r, &page).err()));
        self.outlets = outlets;
        self.patterns.gather(Role::Claim);
        let mut claim_rules = std::mem::take(&mut self.claim_rules);
        diags.extend(claim_rules.iter_mut().filter_map(|r| self.plan_claim_rule(r, &claim).err()));
        self.claim_rules = claim_rules;
        self.patterns.seal();
        self.patterns.index_needles();
        diags.retain(|d| d.code == codes::BAD_PATTERN);
        diags
    }

    /// Probes boilerplate rule `rule` on the empty `page` and keeps its plan when it has one;
    /// otherwise runs it once in Rhai, which compiles the patterns of its unconditional calls.
    fn plan_doc_rule(&self, rule: &mut Rule, page: &Page) -> Result<(), Diagnostic> {
        let planned = probe_rule(rule, &self.limits, || self.call_rule(rule, page, Instant::now()))?;
        rule.doc_plan = planned.map(Arc::new);
        Ok(())
    }

    /// [`Self::plan_doc_rule`] for a claim rule.
    fn plan_claim_rule(&self, rule: &mut Rule, claim: &ClaimHandle) -> Result<(), Diagnostic> {
        let planned = probe_rule(rule, &self.limits, || self.call_claim_rule(rule, claim, Instant::now()))?;
        rule.claim_plan = planned.map(Arc::new);
        Ok(())
    }

    /// Calls claim rule `rule` on `claim`; `now` is a clock reading taken just before.
    pub(crate) fn call_claim_rule(&self, rule: &Rule, claim: &ClaimHandle, now: Instant) -> Result<(), Diagnostic> {
        match &rule.claim_plan {
            Some(plan) => plan.run(claim, now).map_err(|e| self.rule_diag(rule, &e)),
            None => self.call(rule, claim.clone()),
        }
    }

    /// Calls `rule` on `page`; a failure becomes a diagnostic naming the rule and position.
    /// `now` is a clock reading taken just before, against which a plan checks the deadline.
    pub(crate) fn call_rule(&self, rule: &Rule, page: &Page, now: Instant) -> Result<(), Diagnostic> {
        match &rule.doc_plan {
            Some(plan) => plan.run(page, now).map_err(|e| self.rule_diag(rule, &e)),
            None => self.call(rule, page.clone()),
        }
    }

    /// Calls `rule` in Rhai with its one argument (the document or the claim handle).
    fn call<T: Clone + Send + Sync + 'static>(&self, rule: &Rule, arg: T) -> Result<(), Diagnostic> {
        let opts = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        self.engine
            .call_fn_with_options::<Dynamic>(opts, &mut Scope::new(), &rule.ast, &rule.function, (arg,))
            .map(drop)
            .map_err(|e| self.rule_diag(rule, &e))
    }

    fn rule_diag(&self, rule: &Rule, e: &EvalAltResult) -> Diagnostic {
        eval_diag(e, &rule.file, &self.limits).for_rule(rule.id.to_string())
    }

    /// The content hash of the rule files.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The outlets, in file order.
    pub fn outlets(&self) -> &[Outlet] {
        &self.outlets
    }

    /// The generic rules, in file order.
    pub fn generic_rules(&self) -> &[Rule] {
        &self.generic
    }

    /// Every rule id: outlet rules, generic rules, then claim rules.
    pub fn rule_ids(&self) -> Vec<String> {
        let outlet_rules = self.outlets.iter().flat_map(|o| o.rules.iter());
        outlet_rules.chain(&self.generic).chain(&self.claim_rules).map(|r| r.id.to_string()).collect()
    }

    /// The ids of the rules that run in Rhai on every document because they are not plans:
    /// they look at the document, use a helper's answer, or print (see `plan`).
    pub fn unplanned_rule_ids(&self) -> Vec<&str> {
        let outlet_rules = self.outlets.iter().flat_map(|o| o.rules.iter());
        outlet_rules.chain(&self.generic).chain(&self.claim_rules).filter(|r| !r.is_planned()).map(|r| &*r.id).collect()
    }

    /// The claim rules, in file order.
    pub fn claim_rules(&self) -> &[Rule] {
        &self.claim_rules
    }

    /// Every file the ruleset was built from.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The rule tests.
    pub fn fixtures(&self) -> &[Fixture] {
        &self.fixtures
    }

    /// The limits scripts run under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// What the rules' speaker files tell the claim finder: people, roles, aliases, states.
    pub fn speakers(&self) -> &SpeakerKnowledge {
        &self.speakers
    }
}

/// Runs `call` (one rule on an empty document or claim) as a probe when the rule's file allows
/// plans: its plan, if it has one. Otherwise `call` runs once more as a plain call, and a bad
/// pattern either way is the load error.
///
/// Both runs share one document's time budget of `limits`, so a rule that loops stops here as
/// it would on a document (the operation limit may be off).
fn probe_rule<T: 'static>(
    rule: &Rule,
    limits: &Limits,
    call: impl Fn() -> Result<(), Diagnostic>,
) -> Result<Option<Plan<T>>, Diagnostic> {
    let _deadline = sandbox::DeadlineGuard::set(Instant::now() + limits.time_budget);
    if rule.plannable {
        match crate::plan::probe(&call) {
            (_, Some(plan)) => return Ok(Some(plan)),
            (Err(d), None) if d.code == codes::BAD_PATTERN => return Err(d),
            _ => {}
        }
    }
    call().map(|()| None)
}

struct CompiledFile {
    outlet: Option<Outlet>,
    speakers: Option<SpeakerKnowledge>,
    rules: Vec<Rule>,
}

fn compile_file(engine: &Engine, path: &str, text: &str, diags: &mut Vec<Diagnostic>) -> Option<CompiledFile> {
    let mut ast = match engine.compile(text) {
        Ok(ast) => ast,
        Err(e) => {
            let pos = e.position();
            diags.push(
                Diagnostic::error(codes::SYNTAX, e.err_type().to_string())
                    .in_file(path)
                    .at(line_col(pos.line()), line_col(pos.position())),
            );
            return None;
        }
    };
    ast.set_source(path);
    let stem = stem(path);

    // Top-level statements run once, here: they declare `OUTLET` and nothing else matters.
    let mut scope = Scope::new();
    let _deadline = sandbox::DeadlineGuard::set(Instant::now() + std::time::Duration::from_secs(2));
    if let Err(e) = engine.run_ast_with_scope(&mut scope, &ast) {
        diags.push(eval_diag(&e, path, &Limits::default()));
        return None;
    }
    let outlet = if scope.contains("OUTLET") {
        match scope
            .get_value::<Map>("OUTLET")
            .ok_or_else(|| "`OUTLET` must be an object map: #{ id: ..., name: ... }".to_owned())
            .and_then(|m| parse_outlet(&m, path))
        {
            Ok(o) => Some(o),
            Err(msg) => {
                diags.push(
                    Diagnostic::error(codes::OUTLET_DECLARATION, msg).in_file(path).at(find_line(text, "OUTLET"), 1),
                );
                return None;
            }
        }
    } else {
        None
    };

    let speakers = if scope.contains("SPEAKERS") {
        match scope
            .get_value::<Map>("SPEAKERS")
            .ok_or_else(|| {
                "`SPEAKERS` must be an object map: #{ aliases: #{...}, roles: [...], women: [...], men: [...], people: [...], states: #{...} }"
                    .to_owned()
            })
            .and_then(|m| parse_speakers(&m))
        {
            Ok(k) => Some(k),
            Err(msg) => {
                diags.push(
                    Diagnostic::error(codes::OUTLET_DECLARATION, msg).in_file(path).at(find_line(text, "SPEAKERS"), 1),
                );
                return None;
            }
        }
    } else {
        None
    };

    let mut fns: Vec<(usize, String, bool)> = ast
        .iter_functions()
        .filter(|f| f.access == FnAccess::Public && f.params.len() == 1)
        .map(|f| {
            (text.find(&format!("fn {}(", f.name)).unwrap_or(usize::MAX), f.name.to_owned(), f.params[0] == "claim")
        })
        .collect();
    fns.sort();
    let ast = Arc::new(ast);
    let rules = fns
        .into_iter()
        .map(|(_, function, on_claims)| Rule {
            id: format!("{stem}.{function}").into(),
            file: path.to_owned(),
            function,
            ast: ast.clone(),
            on_claims,
            slot: 0,
            plannable: crate::plan::plannable_source(text),
            doc_plan: None,
            claim_plan: None,
        })
        .collect();
    Some(CompiledFile { outlet, speakers, rules })
}

fn parse_outlet(m: &Map, path: &str) -> Result<Outlet, String> {
    let get_str = |k: &str| -> Result<String, String> {
        m.get(k)
            .ok_or_else(|| format!("`OUTLET` needs `{k}`"))?
            .clone()
            .into_string()
            .map_err(|t| format!("`OUTLET.{k}` must be a string, not {t}"))
    };
    let get_list = |k: &str| -> Result<Vec<String>, String> {
        let Some(v) = m.get(k) else { return Ok(Vec::new()) };
        let arr = v.clone().into_array().map_err(|t| format!("`OUTLET.{k}` must be an array of strings, not {t}"))?;
        arr.into_iter()
            .map(|d| d.into_string().map_err(|t| format!("`OUTLET.{k}` must hold strings only, not {t}")))
            .collect()
    };
    for k in m.keys() {
        if !["id", "name", "hosts", "markers"].contains(&k.as_str()) {
            return Err(format!("`OUTLET` has an unknown field `{k}`; fields are id, name, hosts, markers"));
        }
    }
    let id = get_str("id")?;
    if id.is_empty()
        || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || id == "unknown"
    {
        return Err(format!("`OUTLET.id` `{id}` must be a lowercase slug such as \"the-moscow-times\""));
    }
    let hosts =
        get_list("hosts")?.into_iter().map(|h| h.trim().trim_start_matches("www.").to_ascii_lowercase()).collect();
    let markers = get_list("markers")?;
    if markers.iter().any(|s| s.trim().len() < 8) {
        return Err(
            "every `OUTLET.markers` phrase must be at least 8 characters, or it will match unrelated articles".into()
        );
    }
    Ok(Outlet { id, name: get_str("name")?, hosts, markers, file: path.to_owned(), rules: Vec::new() })
}

/// The strings of `SPEAKERS.<field>`, which must be an array of `what`.
fn strings(v: &Dynamic, field: &str, what: &str) -> Result<Vec<String>, String> {
    let arr = v.clone().into_array().map_err(|t| format!("`SPEAKERS.{field}` must be an array of {what}, not {t}"))?;
    arr.into_iter()
        .map(|x| x.into_string().map_err(|t| format!("`SPEAKERS.{field}` holds strings only, not {t}")))
        .collect()
}

/// The entries of `SPEAKERS.<field>`, which must be a map (like `example`) of strings to
/// strings: each value is `what` for its `key`.
fn string_map(v: &Dynamic, field: &str, example: &str, key: &str, what: &str) -> Result<Vec<(String, String)>, String> {
    let map = v.clone().try_cast::<Map>().ok_or_else(|| format!("`SPEAKERS.{field}` must be a map: {example}"))?;
    map.into_iter()
        .map(|(k, value)| {
            let value = value.into_string().map_err(|t| format!("{key} `{k}` must map to {what}, not {t}"))?;
            Ok((k.to_string(), value))
        })
        .collect()
}

fn parse_speakers(m: &Map) -> Result<SpeakerKnowledge, String> {
    let mut k = SpeakerKnowledge::default();
    for (key, v) in m {
        match key.as_str() {
            "aliases" => {
                let example = "#{ \"Washington\": \"United States\" }";
                for (mention, canonical) in string_map(v, "aliases", example, "alias", "a string")? {
                    k.aliases.insert(mention.to_lowercase(), canonical);
                }
            }
            "roles" => {
                k.roles.extend(strings(v, "roles", "strings")?.iter().map(|r| r.to_lowercase()));
            }
            "women" | "men" => {
                let female = key.as_str() == "women";
                for n in strings(v, key, "first names")? {
                    if n.trim().is_empty() || n.contains(char::is_whitespace) {
                        return Err(format!("`SPEAKERS.{key}` holds single first names, not {n:?}"));
                    }
                    if k.first_names.insert(n.to_lowercase(), female).is_some_and(|was| was != female) {
                        return Err(format!("the first name {n:?} is in both `SPEAKERS.women` and `SPEAKERS.men`"));
                    }
                }
            }
            "states" => {
                let example = "#{ \"the Russian Federation\": \"Russian\" }";
                for (state, adjective) in string_map(v, "states", example, "state", "its adjective, a string")? {
                    let bare = state.trim();
                    let bare = bare.strip_prefix("the ").or_else(|| bare.strip_prefix("The ")).unwrap_or(bare);
                    if bare.is_empty() || adjective.trim().is_empty() {
                        return Err(format!(
                            "`SPEAKERS.states` maps a state's formal name to its adjective; \"{state}\": {adjective:?} has an empty one"
                        ));
                    }
                    k.add_state(bare, adjective);
                }
            }
            "people" => {
                for n in strings(v, "people", "full names")? {
                    if n.split_whitespace().count() < 2 {
                        return Err(format!("`SPEAKERS.people` holds full names (first name and surname), not {n:?}"));
                    }
                    k.add_person(n.trim());
                }
            }
            other => {
                return Err(format!(
                    "`SPEAKERS` has an unknown field `{other}`; fields are aliases, roles, women, men, people, states"
                ));
            }
        }
    }
    Ok(k)
}

/// Up to this many outlet markers are searched by a DFA (see [`Markers::of`]).
const MARKER_DFA: usize = 10_000;

/// The outlets' text markers, searched together in one pass over a document.
///
/// Markers are literal phrases matched without regard to ASCII case, the longest where
/// several start at one place. The phrases are lower-cased once and searched in the document
/// lower-cased (ASCII only, so every byte keeps its place): a case-sensitive automaton can use
/// a vectorised prefilter that skips the bytes that start no marker, which one searching
/// without regard to case cannot.
pub(crate) struct Markers {
    ac: AhoCorasick,
    /// The outlet of each marker, by its index in the automaton.
    owner: Vec<usize>,
}

impl Markers {
    fn build(outlets: &[Outlet]) -> Option<Self> {
        let phrases: Vec<(&str, usize)> =
            outlets.iter().enumerate().flat_map(|(i, o)| o.markers.iter().map(move |m| (m.as_str(), i))).collect();
        Self::of(&phrases)
    }

    /// The markers `phrases`, each with its outlet.
    fn of(phrases: &[(&str, usize)]) -> Option<Self> {
        if phrases.is_empty() {
            return None;
        }
        // Every unattributed document is scanned for every outlet's markers. The automaton
        // would pick a DFA only up to 100 phrases and an NFA beyond, with which documents were
        // 13-15% slower with 100 or 1,000 outlets than with one (BENCHMARKS.md, outlet count);
        // a DFA takes about half of that back, at 1.2 MB for the 4,000 markers of 2,000
        // outlets. Past MARKER_DFA phrases the automaton chooses again, to bound the DFA.
        let kind = (phrases.len() <= MARKER_DFA).then_some(AhoCorasickKind::DFA);
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(kind)
            .build(phrases.iter().map(|(m, _)| m.to_ascii_lowercase()))
            .inspect_err(|e| tracing::error!("the outlets' markers do not build: {e}"))
            .ok()?;
        Some(Self { ac, owner: phrases.iter().map(|&(_, o)| o).collect() })
    }

    /// How many markers there are.
    pub(crate) fn len(&self) -> usize {
        self.owner.len()
    }

    /// Each marker found in `text` (by its index) with its outlet, in text order.
    pub(crate) fn found(&self, text: &str) -> Vec<(usize, usize)> {
        let lower = text.to_ascii_lowercase();
        self.ac
            .find_iter(&lower)
            .filter_map(|m| self.owner.get(m.pattern().as_usize()).map(|&o| (m.pattern().as_usize(), o)))
            .collect()
    }
}

fn stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".rhai").unwrap_or(name).replace('-', "_")
}

fn line_col(v: Option<usize>) -> u32 {
    v.and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

fn find_line(text: &str, needle: &str) -> u32 {
    text.lines().position(|l| l.contains(needle)).map_or(0, |i| u32::try_from(i + 1).unwrap_or(0))
}

/// Turns a Rhai error into a diagnostic an author can act on.
pub(crate) fn eval_diag(err: &EvalAltResult, file: &str, limits: &Limits) -> Diagnostic {
    let inner = err.unwrap_inner();
    let pos = if inner.position().is_none() { err.position() } else { inner.position() };
    let (code, message) = match inner {
        EvalAltResult::ErrorRuntime(d, _) if d.is::<HelperError>() => {
            let h = d.clone().cast::<HelperError>();
            (h.code, h.message)
        }
        EvalAltResult::ErrorTerminated(token, _) if token.to_string() == TIME_BUDGET_TOKEN => (
            codes::RULE_LIMIT,
            format!(
                "the document's time budget of {:?} ran out in this rule; make the rule cheaper \
                 (use helpers instead of loops) or raise the budget",
                limits.time_budget
            ),
        ),
        EvalAltResult::ErrorTooManyOperations(_) => (
            codes::RULE_LIMIT,
            format!(
                "the rule ran more than {} operations on one document; is there a loop that never ends?",
                limits.max_operations
            ),
        ),
        EvalAltResult::ErrorDataTooLarge(what, _) => (
            codes::RULE_LIMIT,
            format!("{what} grew past the sandbox limit; rules must not build unbounded strings or arrays"),
        ),
        EvalAltResult::ErrorStackOverflow(_) => (
            codes::RULE_LIMIT,
            format!("calls nested deeper than {} levels; is there runaway recursion?", limits.max_call_depth),
        ),
        EvalAltResult::ErrorTooManyVariables(_) => {
            (codes::RULE_LIMIT, format!("more than {} variables in scope", limits.max_variables))
        }
        other => (codes::RULE_RUNTIME, other.to_string()),
    };
    Diagnostic::error(code, message).in_file(file).at(line_col(pos.line()), line_col(pos.position()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> RuleSources {
        RuleSources::from_pairs(files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())))
    }

    fn errors(files: &[(&str, &str)]) -> Vec<String> {
        match Ruleset::compile(&sources(files), Limits::default()) {
            Ok(_) => Vec::new(),
            Err(Error::Rules(d)) => d.iter().map(ToString::to_string).collect(),
            Err(e) => vec![e.to_string()],
        }
    }

    #[test]
    fn syntax_errors_carry_file_line_and_column() {
        let e = errors(&[("generic/a.rhai", "fn a(doc) {\n  doc.drop_lines(\"x\", \"y\"\n}\n")]);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("generic/a.rhai:3:1: error[T2001]"), "{e:?}");
    }

    #[test]
    fn first_names_must_be_single_names_of_one_gender() {
        let speakers = |body: &str| {
            errors(&[(
                "claims/s.rhai",
                &format!("const SPEAKERS = #{{ {body} }};\nfn a(claim) {{ claim.set_type(\"x\", 0.1); }}"),
            )])
        };
        let ok = speakers(r#"women: ["Anna"], men: ["Ivan"]"#);
        assert!(ok.is_empty(), "{ok:?}");
        let e = speakers(r#"women: ["Anna"], men: ["anna"]"#);
        assert!(e.len() == 1 && e[0].to_lowercase().contains("\"anna\" is in both"), "{e:?}");
        let e = speakers(r#"women: ["Anna Maria"]"#);
        assert!(e.len() == 1 && e[0].contains("single first names"), "{e:?}");
        let e = speakers(r#"men: "Ivan""#);
        assert!(e.len() == 1 && e[0].contains("must be an array of first names"), "{e:?}");
        let e = speakers(r#"girls: []"#);
        assert!(e.len() == 1 && e[0].contains("fields are aliases, roles, women, men, people, states"), "{e:?}");
        let ok = speakers(r#"people: ["Vladimir Putin"]"#);
        assert!(ok.is_empty(), "{ok:?}");
        let e = speakers(r#"people: ["Putin"]"#);
        assert!(e.len() == 1 && e[0].contains("holds full names"), "{e:?}");
        let ok = speakers(r#"states: #{ "the Russian Federation": "Russian" }"#);
        assert!(ok.is_empty(), "{ok:?}");
        let e = speakers(r#"states: ["the Russian Federation"]"#);
        assert!(e.len() == 1 && e[0].contains("`SPEAKERS.states` must be a map"), "{e:?}");
        let e = speakers(r#"states: #{ "the Russian Federation": "" }"#);
        assert!(e.len() == 1 && e[0].contains("has an empty one"), "{e:?}");
        let e = speakers(r#"states: #{ "the Russian Federation": 1 }"#);
        assert!(e.len() == 1 && e[0].contains("must map to its adjective"), "{e:?}");
    }

    #[test]
    fn every_broken_file_is_reported() {
        let e =
            errors(&[("a.rhai", "fn a(doc) { ( }"), ("b.rhai", "const OUTLET = #{ id: \"Bad Id\", name: \"x\" };")]);
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[1].contains("T2002") && e[1].contains("lowercase slug"), "{e:?}");
    }

    #[test]
    fn bad_patterns_are_load_errors() {
        let e = errors(&[("generic/c.rhai", "fn captions(doc) {\n    doc.drop_lines(\"caption\", \"(Photo\");\n}\n")]);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("generic/c.rhai:2:") && e[0].contains("T2005") && e[0].contains("captions"), "{e:?}");
    }

    #[test]
    fn rules_are_public_one_argument_functions_in_file_order() {
        let rs = Ruleset::compile(
            &sources(&[(
                "outlets/the-site.rhai",
                "const OUTLET = #{ id: \"the-site\", name: \"The Site\", hosts: [\"www.site.com\"], markers: [\"A Message from The Site\"] };\n\
                 fn zeta(doc) { helper(doc) }\nprivate fn helper(doc) { 0 }\nfn alpha(doc) { 0 }\nfn two(a, b) { 0 }\n",
            )]),
            Limits::default(),
        );
        let rs = rs.map_err(|e| e.to_string());
        assert_eq!(
            rs.as_ref().map(Ruleset::rule_ids).ok(),
            Some(vec!["the_site.zeta".into(), "the_site.alpha".into()])
        );
        assert_eq!(rs.as_ref().ok().map(|r| r.outlets()[0].hosts.clone()), Some(vec!["site.com".into()]));
    }

    #[test]
    fn a_script_that_loops_at_load_is_refused() {
        let e = errors(&[("generic/x.rhai", "loop {}\nfn a(doc) {}")]);
        assert!(e.len() == 1 && e[0].contains("T2102"), "{e:?}");
    }

    #[test]
    fn empty_rules_are_an_error() {
        let e = errors(&[]);
        assert!(e[0].contains("T2007"), "{e:?}");
    }

    proptest::proptest! {
        /// The markers found in the lower-cased text are those an automaton that ignores
        /// ASCII case finds in the text as written: leftmost, the longest of those starting
        /// at one place, the first of equal ones; other characters match only as written.
        #[test]
        fn markers_are_found_without_regard_to_ascii_case(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Support The Site", "support the site today", "SUPPORT THE SITE TODAY!", "The Site’s desk",
                    "the site's desk", "The Site", "ÉDITION du Site", "édition du site", " ", "x", "\n", "’", "'",
                    "İ", "K",
                ]),
                0..12,
            ),
        ) {
            let text: String = pieces.concat();
            let phrases = [
                ("Support The Site", 0), ("Support The Site today", 1), ("The Site’s desk", 1),
                ("The Site's desk", 2), ("Édition du site", 2), ("site today", 0), ("SUPPORT THE SITE", 2),
            ];
            let Some(markers) = Markers::of(&phrases) else {
                return Err(proptest::test_runner::TestCaseError::fail("the markers build"));
            };
            let reference = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(phrases.iter().map(|(m, _)| m))
                .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let want: Vec<(usize, usize)> =
                reference.find_iter(&text).map(|m| (m.pattern().as_usize(), phrases[m.pattern().as_usize()].1)).collect();
            proptest::prop_assert_eq!(markers.found(&text), want, "{:?}", text);
        }
    }

    #[test]
    fn the_markers_of_many_outlets_are_searched_by_a_dfa() {
        let names: Vec<(String, usize)> = (0..2_000)
            .flat_map(|i| [(format!("A message from Outlet {i}"), i), (format!("Subscribe to Outlet {i}"), i)])
            .collect();
        let phrases: Vec<(&str, usize)> = names.iter().map(|(m, o)| (m.as_str(), *o)).collect();
        let Some(markers) = Markers::of(&phrases) else { panic!("the markers build") };
        assert_eq!(markers.ac.kind(), AhoCorasickKind::DFA);
        // The longest marker at a place wins: "Outlet 1234", not "Outlet 1", "12" or "123".
        let text = "Text. A MESSAGE FROM OUTLET 1234: give. subscribe to outlet 7 and Subscribe To Outlet 1999.";
        assert_eq!(markers.found(text), [(2 * 1234, 1234), (2 * 7 + 1, 7), (2 * 1999 + 1, 1999)]);
        // Beyond MARKER_DFA phrases the automaton picks its own kind.
        let more: Vec<String> = (0..=MARKER_DFA).map(|i| format!("marker {i}")).collect();
        let phrases: Vec<(&str, usize)> = more.iter().map(|m| (m.as_str(), 0)).collect();
        assert!(Markers::of(&phrases).is_some_and(|m| m.ac.kind() != AhoCorasickKind::DFA));
    }

    #[test]
    fn version_is_a_content_hash() {
        let a = sources(&[("a.rhai", "fn a(doc) {}")]);
        let b = sources(&[("a.rhai", "fn a(doc) { }")]);
        assert_ne!(a.version(), b.version());
        assert_eq!(a.version(), a.clone().version());
        assert_eq!(a.version().len(), 16);
    }
}
