//! Finding claims: who said what, in which form.
//!
//! Works on the kept text only (boilerplate never makes claims), sentence by sentence, with no
//! list of people: a reporting cue ("said", "accused", "according to", ...) outside quotation
//! marks, the noun phrase that is its subject (before it, or after it when inverted: `,"
//! said Lavrov`), and the quotations around it give a claim, its speaker mention and its form.
//! Mentions are then resolved within the document: full names are found by their shape
//! ("Polish Foreign Ministry spokesman Lukasz Jasina" → "Lukasz Jasina"), and surnames,
//! pronouns, role nouns ("the minister", "Russia's top diplomat") and organisations ("the
//! ministry") resolve to them. A quotation with no attribution of its own that follows a
//! speaker's claim inherits the speaker.
//!
//! Everything here is table-driven string work in Rust, a few microseconds per sentence;
//! labelling claims is left to the Rhai claim rules.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::document::{ClaimForm, Span};
use crate::local::PerThread;
use crate::names::Runs;
use crate::sentences::{self, Sentence};
use crate::swar;

/// Knowledge a ruleset adds to the generic mechanism: aliases ("Washington" → "United
/// States") and extra role nouns for a domain.
#[derive(Debug, Clone, Default)]
pub struct SpeakerKnowledge {
    /// Mention (as written, case-insensitive) → canonical name.
    pub aliases: HashMap<String, String>,
    /// Extra lowercase role nouns for people ("rapporteur").
    pub roles: Vec<String>,
    /// Lowercase first names that say whether a person is "she" (true) or "he" (false)
    /// before any pronoun does.
    pub first_names: HashMap<String, bool, ahash::RandomState>,
    /// People news names by surname alone ("Putin"): the [`surname_key`] of each full name,
    /// and the name. A short list, searched in order.
    pub people: Vec<(String, String)>,
    /// Bit `i` set when a key in `people` starts with the `i`-th ASCII letter (all set for
    /// a key that starts with anything else).
    people_firsts: u32,
    /// Formal names of states (without "the"; compared ignoring ASCII case) and the adjective
    /// that replaces them: "Russian Federation" → "Russian" makes "Ministry of Defense of the Russian
    /// Federation" the "Russian Ministry of Defense".
    pub states: Vec<(String, String)>,
}

impl SpeakerKnowledge {
    /// Adds a person the text may name by surname alone.
    pub fn add_person(&mut self, full_name: &str) {
        let key = surname_key(full_name);
        self.people_firsts |= match key.bytes().next() {
            Some(b @ b'a'..=b'z') => 1 << (b - b'a'),
            _ => u32::MAX,
        };
        self.people.retain(|(k, _)| *k != key);
        self.people.push((key, full_name.to_owned()));
    }

    /// Adds every person of `other` (see [`SpeakerKnowledge::add_person`]).
    pub fn add_people(&mut self, other: &SpeakerKnowledge) {
        for (_, full) in &other.people {
            self.add_person(full);
        }
    }

    /// Adds a state's formal name (without "the") and its adjective, replacing an earlier
    /// entry for that name.
    pub fn add_state(&mut self, state: &str, adjective: String) {
        self.states.retain(|(s, _)| !s.eq_ignore_ascii_case(state));
        self.states.push((state.to_owned(), adjective));
    }

    /// `name` with a formal state name after "of" put before it as the adjective:
    /// "Ministry of Defense of the Russian Federation" → "Russian Ministry of Defense". None
    /// when `name` ends with none.
    fn of_state(&self, name: &str) -> Option<String> {
        self.states.iter().find_map(|(state, adjective)| {
            let cut = name.len().checked_sub(state.len())?;
            name.get(cut..).filter(|t| t.eq_ignore_ascii_case(state))?;
            let head = name.get(..cut)?;
            let head = ["of the ", "of "].iter().find_map(|of| {
                let at = head.len().checked_sub(of.len())?;
                head.get(at..).filter(|h| h.eq_ignore_ascii_case(of)).and(head.get(..at))
            })?;
            let head = head.trim_end();
            (!head.is_empty()).then(|| format!("{adjective} {head}"))
        })
    }

    /// The known person whose surname key is `key`.
    fn person(&self, key: &str) -> Option<&str> {
        self.people.iter().find(|(k, _)| k == key).map(|(_, full)| full.as_str())
    }

    /// Whether the person named `name` is a woman, as far as the first name tells.
    fn female_by_name(&self, name: &str) -> Option<bool> {
        let first = name.split_whitespace().next()?;
        // Most first names are short and ASCII: lower-cased on the stack, not in a new string.
        let mut buf = [0u8; 24];
        if let Some(b) = buf.get_mut(..first.len()).filter(|_| first.is_ascii()) {
            b.copy_from_slice(first.as_bytes());
            b.make_ascii_lowercase();
            return std::str::from_utf8(b).ok().and_then(|k| self.first_names.get(k)).copied();
        }
        self.first_names.get(&first.to_lowercase()).copied()
    }
}

/// A claim as the finder sees it, before labelling.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The sentence(s).
    pub span: Span,
    /// The speaker mention, if the sentence has one.
    pub mention: Option<Span>,
    /// The canonical speaker.
    pub canonical: String,
    /// The reporting cue as written (empty when inherited).
    pub cue: String,
    /// Where the cue is.
    pub cue_span: Option<Span>,
    /// Direct, indirect or mixed.
    pub form: ClaimForm,
    /// An outer source that reports the speaker's words ("..., the ministry said").
    pub source: Option<(Span, String)>,
}

/// Reporting cues. Verbs in the past and present; nouns are left out because "claims" and
/// "warning" as nouns are narration. Where two start at one word, the one listed first is
/// taken ("called for" before "called"). Lower case, and found in any case, so that
/// "According to ..." opens a sentence; a capitalised cue anywhere else is a name ("Edward
/// Said") and is skipped where it is found.
const CUE_PHRASES: &[&str] = &[
    "according to", "called for", "calls for", "called on", "calls on", "lashed out", "lashes out", "pointed out",
    "points out", "quoted as saying", "said", "says", "say", "told", "tells", "added", "adds", "warned", "warns",
    "accused", "accuses", "denied", "denies", "insisted", "insists", "stressed", "stresses", "reiterated",
    "reiterates", "announced", "announces", "claimed", "claims", "argued", "argues", "noted", "explained", "explains",
    "stated", "states that", "declared", "declares", "asserted", "wrote", "writes", "posted", "urged", "urges",
    "demanded", "vowed", "vows", "pledged", "pledges", "promised", "promises", "threatened", "threatens", "confirmed",
    "confirms", "acknowledged", "acknowledges", "admitted", "admits", "rejected", "rejects", "dismissed", "dismisses",
    "emphasized", "emphasised", "emphasizes", "emphasises", "underlined", "underscored", "suggested", "suggests",
    "predicted", "predicts", "estimated", "responded", "replied", "recalled", "criticized", "criticised", "criticizes",
    "criticises", "condemned", "condemns", "blamed", "blames", "charged", "alleged", "alleges", "maintained",
    "maintains", "cautioned", "cautions", "believes", "believe", "thinks", "called", "calls", "described", "describes",
    "praised", "welcomed", "welcomes", "challenged", "revealed", "reported", "disclosed", "agreed", "expects", "hopes",
    "disputed", "disputes", "remarked", "highlighted", "highlights", "reaffirmed", "reaffirms", "recommended",
    "recommends", "cited", "congratulated", "requested", "found that", "finds that", "shows that", "showed that",
    "shows", "showed", "concluded that", "concludes that", "concluded", "saying", "adding", "noting", "arguing",
    "claiming", "stressing", "urging", "accusing", "denying", "calling for", "insisting", "alleging", "reiterating",
    "promising", "vowing", "warning that", "telling", "offered to", "offers to", "pressed for", "presses for",
    "shouted", "shouts", "estimates", "referred to", "refers to", "spoke of", "speaks of", "tweeted", "tweets",
    "conceded", "concedes", "assured", "assures", "countered", "contended", "contends", "testified", "lamented",
    "laments", "retorted", "quipped", "boasted", "read", "reads", "went on to say", "goes on to say",
];

/// Longer words are not the first word of a cue.
const CUE_WORD_MAX: usize = 16;

/// The phrases of [`CUE_PHRASES`] for [`cues`], by the first letter (`a` to `z`) and the length
/// of their first word.
struct CueTable {
    /// For each letter, bit `n` set when a phrase's first word has `n` letters: most words are
    /// passed over on this alone.
    lengths: [u16; 26],
    /// The phrases as words, at `letter * CUE_WORD_MAX + length`, in list order.
    phrases: Vec<Vec<Vec<&'static [u8]>>>,
}

static CUE_TABLE: LazyLock<CueTable> = LazyLock::new(|| {
    let mut table = CueTable { lengths: [0; 26], phrases: vec![Vec::new(); 26 * CUE_WORD_MAX] };
    for phrase in CUE_PHRASES {
        let words: Vec<&[u8]> = phrase.split(' ').map(str::as_bytes).collect();
        let (Some(first), Some(&letter)) = (words.first(), phrase.as_bytes().first()) else { continue };
        let letter = usize::from(letter - b'a');
        if let (Some(lengths), Some(slot)) =
            (table.lengths.get_mut(letter), table.phrases.get_mut(letter * CUE_WORD_MAX + first.len()))
        {
            *lengths |= 1 << first.len();
            slot.push(words);
        }
    }
    table
});

/// ASCII word bytes, `[0-9A-Za-z_]`: what an ASCII `\b` stands between.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Where the reporting cues are in `text`: the matches, in order, of
/// `(?-u:\b)(?i-u:phrase|phrase|...)(?-u:\b)` over [`CUE_PHRASES`], the words of a phrase
/// apart by any whitespace (a test holds them equal). Cues are ASCII words and case does not
/// matter, so they are found by walking the runs of ASCII word bytes and looking each up by
/// its first letter and length: the regex, searched sentence by sentence, cost more than
/// anything else the finder reads a sentence for. (Case is ASCII case: the regex before also
/// read the Kelvin sign as a k and the long s as an s.)
fn cues(text: &str) -> Vec<std::ops::Range<usize>> {
    let table = &*CUE_TABLE;
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    // Where the last match ended: a word starting before it is not tried.
    let mut from = 0;
    let mut padded = [0u8; 64];
    // Whether the block before ended in a word byte.
    let mut carry = 0;
    for (k, chunk) in bytes.chunks(64).enumerate() {
        let block = <&[u8; 64]>::try_from(chunk).unwrap_or_else(|_| {
            // The last block, padded with zeros (not word bytes).
            padded = [0; 64];
            padded.get_mut(..chunk.len()).unwrap_or_default().copy_from_slice(chunk);
            &padded
        });
        let words = swar::word_mask(block);
        let mut starts = words & !(words << 1 | carry);
        carry = words >> 63;
        while starts != 0 {
            let bit = starts.trailing_zeros();
            starts &= starts - 1;
            let start = k * 64 + bit as usize;
            let letter = usize::from((bytes[start] | 0x20).wrapping_sub(b'a'));
            // The word's length, from the mask while it lies in the block.
            let mut end = start + (words >> bit).trailing_ones() as usize;
            if end == (k + 1) * 64 {
                end += bytes.get(end..).map_or(0, |rest| rest.iter().take_while(|&&b| is_word_byte(b)).count());
            }
            let len = end - start;
            if start < from || len >= CUE_WORD_MAX || table.lengths.get(letter).is_none_or(|l| l >> len & 1 == 0) {
                continue;
            }
            let Some(phrases) = table.phrases.get(letter * CUE_WORD_MAX + len) else { continue };
            if let Some(to) = phrases.iter().find_map(|words| phrase_at(text, start, end, words)) {
                out.push(start..to);
                from = to;
            }
        }
    }
    out
}

/// Where the phrase `words` ends when it starts at the word `start..end` of `text` (a whole run
/// of ASCII word bytes), its words apart by whitespace and each a whole run.
fn phrase_at(text: &str, start: usize, end: usize, words: &[&[u8]]) -> Option<usize> {
    let bytes = text.as_bytes();
    let (first, rest) = words.split_first()?;
    if !bytes.get(start..end)?.eq_ignore_ascii_case(first) {
        return None;
    }
    let mut at = end;
    for word in rest {
        // (No whitespace leaves `at` on the byte that ended the word before, not a word byte.)
        at += text.get(at..)?.find(|c: char| !c.is_whitespace()).unwrap_or(text.len() - at);
        let to = at + word.len();
        if !bytes.get(at..to)?.eq_ignore_ascii_case(word) || bytes.get(to).is_some_and(|&b| is_word_byte(b)) {
            return None;
        }
        at = to;
    }
    Some(at)
}

/// Words after a cue that open reported speech of their own: `," he said, adding that ...`.
static REPORTING_TAIL: LazyLock<PerThread<Regex>> = LazyLock::new(|| {
    PerThread::new(Regex::new(r"(?-u:\b)(adding|saying|noting|that)(?-u:\b)").unwrap_or_else(|_| unreachable!()))
});

/// Saying nothing: "Dmitriev refused to comment", "Apple did not respond to a request for
/// comment". Read only in sentences that hold "comment" and no quotation.
static NO_COMMENT: LazyLock<PerThread<Regex>> = LazyLock::new(|| {
    PerThread::new(
        Regex::new(
            r"(?i)\b(?:declined|refused|did not (?:respond|reply)|didn't (?:respond|reply)|could not be reached|(?:was|were) not available)\b[^.;]{0,60}\bcomments?\b",
        )
        .unwrap_or_else(|_| unreachable!()),
    )
});

/// A fixed word list, looked up for nearly every token: hashed with aHash, not SipHash.
type WordSet = HashSet<&'static str, ahash::RandomState>;

static DETERMINERS: LazyLock<WordSet> =
    LazyLock::new(|| WordSet::from_iter(["the", "a", "an", "his", "her", "its", "their", "our", "this", "another"]));
static PRONOUNS: LazyLock<WordSet> = LazyLock::new(|| WordSet::from_iter(["he", "she", "it", "they", "we", "i"]));
/// Capitalised words that start sentences and never a person's name: "Many Apple employees".
static NOT_FIRST_NAMES: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "many", "most", "some", "several", "few", "both", "each", "every", "other", "such", "no", "yes", "take",
        "even", "only", "just", "all", "any", "more", "less", "these", "those", "this", "his", "her", "their", "our",
        "its", "my", "your", "a", "an", "the", "for", "in", "on", "at", "from", "with", "to", "by", "after", "before",
        "during", "since", "when", "while", "if", "but", "and", "as", "despite", "under", "without",
    ])
});

/// The commonest reporting verbs: a role word before one belongs to its subject, not to a
/// name after it.
static REPORTING_VERBS: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "said", "says", "say", "told", "tells", "added", "adds", "wrote", "writes", "reported", "reports", "noted",
        "stated", "announced", "warned", "claimed", "argued", "stressed", "explained",
    ])
});

/// Lower-case words that belong to names: "Charles de Gaulle", "Ursula von der Leyen".
static NAME_PARTICLES: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "de", "da", "das", "do", "dos", "del", "della", "di", "du", "des", "van", "von", "der", "den", "ter", "la",
        "le", "al", "el", "bin", "ibn", "bint", "ben", "abu", "y", "e",
    ])
});

/// Words that open a sentence going on from the one before: "That would ...", "But ...".
static POINTS_BACK: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter(["that", "this", "these", "those", "such", "but", "and", "rather", "instead", "yet", "still"])
});

/// Abbreviations with a full stop that may stand inside a name: "St. John", "Prof. Jane Doe".
/// (Titles such as "Mr." and "Gen." are in the title list.)
static NAME_ABBREVIATIONS: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "st", "jr", "sr", "mt", "ft", "prof", "rev", "hon", "sgt", "maj", "cpl", "pvt", "adm", "amb", "pres", "supt",
        "insp", "det", "cmdr", "brig",
    ])
});

/// Words that end a backward walk over a subject noun phrase.
static STOP: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "on", "in", "at", "by", "with", "from", "to", "into", "over", "after", "before", "during", "about", "and",
        "but", "or", "as", "while", "when", "because", "although", "though", "since", "if", "that", "which", "who",
        "whom", "whose", "where", "than", "not", "also", "has", "have", "had", "is", "was", "were", "are", "be",
        "been", "would", "will", "could", "should", "can", "may", "might", "must", "did", "do", "does", "so", "then",
        "there", "here", "what", "how", "why", "however", "meanwhile", "yet", "said", "says", "told", "speaking",
        "writing", "asked", "according",
    ])
});
/// Words that make the noun phrase after them an object, not a subject.
static PREPOSITIONS: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "on", "in", "at", "by", "with", "from", "to", "into", "over", "after", "before", "during", "about", "as", "of",
        "for", "against", "under", "among", "between", "through", "like", "than", "toward", "towards", "within",
    ])
});
/// Filler between a subject and its cue: "Lavrov on Saturday also said".
static FILLER: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "also", "has", "have", "had", "would", "will", "again", "previously", "earlier", "later", "then", "recently",
        "repeatedly", "publicly", "flatly", "reportedly", "once", "further", "firmly", "already", "still", "now",
        "today", "yesterday", "tonight", "separately", "himself", "herself", "themselves", "itself", "jointly",
        "openly", "directly", "instead", "too", "however", "meanwhile", "subsequently", "initially", "last", "this",
        "late", "early", "next", "morning", "afternoon", "evening", "night", "week", "month", "year", "weekend", "had",
        "just", "strongly", "sharply", "explicitly", "clearly", "immediately", "quickly", "privately", "bluntly",
        "angrily", "had", "specifically", "emphatically", "categorically", "even", "often", "always", "never",
        "allegedly",
    ])
});
static TIME_WORDS: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
        "april", "may", "june", "july", "august", "september", "october", "november", "december", "today", "yesterday",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed",
        "thu", "fri", "sat", "sun",
    ])
});
/// Lowercase nouns that head a mention of a person.
static PERSON_ROLES: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "minister", "spokesman", "spokeswoman", "spokesperson", "official", "president", "secretary", "diplomat",
        "chief", "leader", "head", "ambassador", "envoy", "adviser", "advisor", "director", "commander", "general",
        "governor", "mayor", "senator", "lawmaker", "premier", "chancellor", "prosecutor", "judge", "negotiator",
        "aide", "chairman", "chairwoman", "chair", "executive", "founder", "researcher", "scientist", "professor",
        "economist", "analyst", "expert", "officer", "representative", "counterpart", "architect", "author",
        "activist", "lawyer", "attorney", "candidate", "deputy", "manager", "strategist", "correspondent", "editor",
        "journalist", "source", "premier", "king", "queen", "prince", "pope", "ceo", "boss", "coach", "owner",
        "father", "mother", "woman", "man", "resident", "witness", "survivor", "colonel", "captain", "admiral",
        "marshal", "commissioner", "rapporteur", "mp", "mep", "legislator", "politician", "historian", "specialist",
        "cleric", "priest", "bishop", "archbishop", "prelate", "patriarch", "cardinal", "rabbi", "imam", "pastor",
        "chaplain", "nun", "monk", "doctor", "physician", "student", "teacher", "farmer", "soldier", "fighter",
        "militant", "member",
    ])
});
/// Lowercase nouns that head a mention of an organisation, government or place.
static GROUP_ROLES: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "ministry", "company", "firm", "government", "kremlin", "agency", "military", "army", "police", "authorities",
        "department", "office", "embassy", "court", "party", "group", "organization", "organisation", "bank",
        "council", "commission", "committee", "administration", "union", "alliance", "campaign", "statement", "letter",
        "report", "study", "survey", "movement", "coalition", "service", "network", "institute", "center", "centre",
        "foundation", "fund", "board", "parliament", "cabinet", "presidency", "regime", "country", "state", "city",
        "region", "startup", "airline", "manufacturer", "maker", "developer", "operator", "outlet", "newspaper",
        "channel", "broadcaster", "mission", "delegation", "team", "club", "league", "federation", "association",
        "regulator", "watchdog", "staff", "officials", "sources", "analysts", "experts", "critics", "residents",
        "witnesses", "activists", "diplomats", "leaders", "lawmakers", "researchers", "scientists", "economists",
        "investigators", "prosecutors", "observers", "opponents", "supporters", "organizers", "organisers",
        "protesters", "people", "officers", "authorities", "media", "rebels", "force", "forces", "troops", "militants",
        "insurgents", "demonstrators", "workers", "employees", "executives", "investigation", "inquiry", "probe",
        "analysis", "audit", "poll", "guard", "navy", "coastguard", "authority", "bureau", "directorate",
        "inspectorate", "secretariat", "tribunal", "prosecution", "consulate", "municipality", "assembly",
        "legislature", "monitor", "observatory", "headquarters",
    ])
});
/// Roles that name a kind of person no other role does: "the analyst" is nobody known as a
/// minister.
static DISTINCT_ROLES: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "analyst", "expert", "economist", "researcher", "scientist", "professor", "historian", "specialist",
        "strategist", "mayor", "governor", "prosecutor", "judge", "lawyer", "attorney", "pope", "doctor", "physician",
        "witness", "resident", "survivor", "student", "teacher", "farmer", "soldier", "journalist", "correspondent",
        "editor", "activist", "coach", "owner", "president", "premier", "chancellor",
    ])
});
/// People of a place, who speak as a group: "the authorities in Kyiv", "police in Moscow".
static LOCAL_GROUPS: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "authorities", "officials", "police", "prosecutors", "investigators", "lawmakers", "diplomats", "rescuers",
        "residents", "witnesses", "activists", "doctors", "medics", "officers", "judges", "leaders",
    ])
});
/// Capitalised words inside names that make them organisations or places, not people.
static ORG_WORDS: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "ministry", "kremlin", "government", "office", "department", "council", "commission", "committee", "union",
        "agency", "company", "corporation", "corp", "inc", "group", "party", "bank", "court", "army", "force",
        "forces", "police", "service", "services", "organization", "organisation", "institute", "university", "house",
        "pentagon", "congress", "parliament", "senate", "embassy", "administration", "authority", "board", "fund",
        "foundation", "association", "federation", "alliance", "coalition", "movement", "front", "brigade", "guard",
        "navy", "command", "staff", "center", "centre", "network", "news", "times", "post", "press", "reuters", "tass",
        "interfax", "states", "kingdom", "nations", "republic", "assembly", "cabinet", "presidency", "palace",
        "mission", "delegation", "directorate", "bureau", "unit", "labs", "lab", "systems", "technologies", "media",
        "club", "league", "tribunal", "ai", "ria", "novosti", "xinhua", "bloomberg", "afp", "cnn", "bbc", "nbc", "cbs",
        "abc", "fox", "telegraph", "guardian", "journal", "daily", "channel", "tv", "radio", "ria", "sputnik", "world",
        "global", "international", "europe", "africa", "asia", "america", "capital", "partners", "holdings", "energy",
        "oil", "gas", "airways", "airlines", "motors", "pharma", "health", "hospital", "school", "college", "academy",
        "church", "council", "secretariat", "convention", "treaty", "agreement", "accord", "act", "law", "charter",
        "declaration", "protocol", "summit", "forum", "conference", "roundtable", "initiative", "program", "programme",
        "project", "plan", "index", "war", "federal", "reserve", "exchange", "market", "markets", "street", "square",
        "river", "sea", "ocean", "island", "islands", "province", "county", "district", "city", "valley", "mountains",
        "airport", "station", "base",
    ])
});
/// Capitalised title words that precede a name and are not part of it.
static TITLES: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "president", "prime", "minister", "foreign", "defense", "defence", "secretary", "state", "general", "gen",
        "spokesman", "spokeswoman", "spokesperson", "ambassador", "chancellor", "king", "queen", "prince", "sen",
        "senator", "rep", "representative", "gov", "governor", "mayor", "chief", "director", "deputy", "vice", "head",
        "leader", "advisor", "adviser", "national", "security", "commander", "chairman", "chairwoman", "chair", "ceo",
        "dr", "mr", "mrs", "ms", "judge", "justice", "attorney", "pope", "sheikh", "ayatollah", "supreme", "executive",
        "officer", "colonel", "col", "lt", "captain", "capt", "admiral", "marshal", "commissioner", "high", "press",
        "interior", "finance", "economy", "trade", "health", "justice", "affairs", "energy", "lord", "lady", "sir",
        "dame", "emir", "crown", "former", "acting", "senior", "top", "u.s", "us", "uk", "u.k", "eu", "un", "u.n",
        "nato", "white", "founder", "professor", "prof", "speaker", "majority", "minority", "whip", "spokesperson",
        "envoy", "special", "counsel", "premier", "human", "rights", "relations", "intelligence", "military", "staff",
        "air", "force", "economic", "development", "european", "archbishop", "bishop", "cardinal", "rabbi", "imam",
        "patriarch", "metropolitan", "father", "saint", "major", "sergeant", "corporal", "private", "lieutenant",
        "brigadier", "field", "gov", "rev", "chief-of-staff", "mp", "mep", "congressman", "congresswoman",
        "assemblyman", "councilman", "councillor", "alderman", "ceo", "cfo", "coo", "cto", "chairperson",
        "president-elect", "ex-president", "then-president", "analyst", "economist",
    ])
});
/// Lowercase particles inside names ("Osama bin Laden", "Ursula von der Leyen").
static PARTICLES: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter(["bin", "al", "de", "van", "von", "der", "da", "di", "le", "la", "du", "del", "ibn", "el"])
});

// Bits of [`classes`]: which of the word lists above hold a word.
const DETERMINER: u16 = 1;
const STOP_WORD: u16 = 2;
const TIME_WORD: u16 = 4;
const PERSON_ROLE: u16 = 8;
const GROUP_ROLE: u16 = 16;
const ORG_WORD: u16 = 32;
const TITLE: u16 = 64;

/// The word lists [`classes`] answers for, with their bits.
fn class_lists() -> [(&'static WordSet, u16); 7] {
    [
        (&DETERMINERS, DETERMINER),
        (&STOP, STOP_WORD),
        (&TIME_WORDS, TIME_WORD),
        (&PERSON_ROLES, PERSON_ROLE),
        (&GROUP_ROLES, GROUP_ROLE),
        (&ORG_WORDS, ORG_WORD),
        (&TITLES, TITLE),
    ]
}

/// Which of the word lists hold `w` (lower-case), in one lookup where asking each would take
/// one per list: the words of every name candidate are asked about most of them.
fn classes(w: &str) -> u16 {
    static CLASSES: LazyLock<HashMap<&'static str, u16, ahash::RandomState>> = LazyLock::new(|| {
        let mut map: HashMap<&'static str, u16, ahash::RandomState> = HashMap::default();
        for (list, bit) in class_lists() {
            for &w in list {
                *map.entry(w).or_default() |= bit;
            }
        }
        map
    });
    CLASSES.get(w).copied().unwrap_or(0)
}

/// A word of a sentence.
#[derive(Debug, Clone, Copy)]
struct Tok<'t> {
    text: &'t str,
    /// `text` lower-cased, as a slice of its sentence lower-cased once (see [`lower_into`]),
    /// when that keeps every character where it was.
    lower: Option<&'t str>,
    span: Span,
}

impl<'t> Tok<'t> {
    fn lower(&self) -> Cow<'t, str> {
        self.lower.map_or_else(|| lowercase(self.text), Cow::Borrowed)
    }

    fn is_cap(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_uppercase)
    }

    fn is_punct(&self) -> bool {
        !self.text.chars().next().is_some_and(char::is_alphanumeric)
    }

    fn is_possessive(&self) -> bool {
        let l = self.text;
        l.ends_with("'s") || l.ends_with("’s") || l.ends_with("s'") || l.ends_with("s’")
    }

    /// The word without a trailing stop, apostrophe or possessive `'s`, lower-cased.
    fn bare(&self) -> Cow<'t, str> {
        let bare = self.bare_text();
        // The bare word is a prefix of the word: its lower case is a prefix of the word's.
        match self.lower.and_then(|l| l.get(..bare.len())) {
            Some(l) => Cow::Borrowed(l),
            None => lowercase(bare),
        }
    }

    /// [`Tok::bare`] before lower-casing.
    fn bare_text(&self) -> &'t str {
        let t = self.text.trim_end_matches(['.', '\'', '’']);
        let t = t.strip_suffix("'s").or_else(|| t.strip_suffix("’s")).unwrap_or(t);
        t.trim_end_matches(['\'', '’', '.'])
    }

    /// `surname_key(&self.bare())`, made in `key` (no allocation when the word is ASCII): the
    /// key of every capitalised word of a document is made, to count surnames standing alone.
    fn surname_key_into(&self, key: &mut String) {
        let bare = self.bare_text();
        key.clear();
        if !bare.is_ascii() {
            key.push_str(&surname_key(&lowercase(bare)));
            return;
        }
        key.extend(bare.bytes().filter(u8::is_ascii_alphanumeric).map(|b| char::from(b.to_ascii_lowercase())));
        key.truncate(key.trim_end_matches('y').trim_end_matches('i').len());
    }
}

/// `s` lower-cased, borrowed when it is already: most words of a sentence are lower-case
/// ASCII, and words are compared many times per sentence.
fn lowercase(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// Appends `text` lower-cased to `buf` and says where, when every character's lower case has
/// the same length in UTF-8 (so that any slice of `text` lower-cases to the same slice of the
/// copy) and none depends on where it stands (the capital sigma). Otherwise appends nothing and
/// returns None: the words are lower-cased one by one. Most words are compared in lower case,
/// many of them several times, and lower-casing each word on its own took a third of the
/// finder's allocations.
fn lower_into(text: &str, buf: &mut String) -> Option<std::ops::Range<usize>> {
    let start = buf.len();
    let mut rest = text;
    // Runs of ASCII are lower-cased in place; only the other characters are looked up.
    loop {
        let run = swar::position(rest.as_bytes(), |x| x & swar::HIGH).unwrap_or(rest.len());
        let at = buf.len();
        buf.push_str(&rest[..run]);
        if let Some(copied) = buf.get_mut(at..) {
            copied.make_ascii_lowercase();
        }
        let Some(c) = rest[run..].chars().next() else { return Some(start..buf.len()) };
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) if l.len_utf8() == c.len_utf8() && c != 'Σ' => buf.push(l),
            _ => {
                buf.truncate(start);
                return None;
            }
        }
        rest = &rest[run + c.len_utf8()..];
    }
}

/// The tokens of `text`, whose lower case is `lower` when it is known (made by
/// [`lower_into`], at the same offsets); `base` is where `text` starts in the document.
fn tokens<'t>(text: &'t str, lower: Option<&'t str>, base: usize) -> Vec<Tok<'t>> {
    // About one token per six bytes of news prose: most sentences need no second allocation.
    let mut out = Vec::with_capacity(text.len() / 6 + 1);
    out.extend(word_spans(text).map(|(start, end)| {
        // A sentence-final full stop is not part of the last word ("said Lavrov.").
        let t = &text[start..end];
        let trimmed =
            if t.len() > 1 && t.ends_with('.') && !t[..t.len() - 1].contains('.') { &t[..t.len() - 1] } else { t };
        let lower = lower.and_then(|l| l.get(start..start + trimmed.len()));
        Tok { text: trimmed, lower, span: Span::new(base + start, base + start + trimmed.len()) }
    }));
    out
}

/// A sentence with its tokens, which answers for any part of it as if that part had been
/// tokenised on its own: the finder looks at the words before and after every name and cue,
/// and tokenising each of those pieces again cost more than the rest of the finder's reading.
struct Sent<'t> {
    text: &'t str,
    /// `text` lower-cased at the same offsets, when it can be (see [`lower_into`]).
    lower: Option<&'t str>,
    base: usize,
    toks: Vec<Tok<'t>>,
}

impl<'t> Sent<'t> {
    fn new(text: &'t str, lower: Option<&'t str>, base: usize) -> Self {
        Self { text, lower, base, toks: tokens(text, lower, base) }
    }

    /// `tokens(&text[from..to], from)`, positions of the whole text (char boundaries within the
    /// sentence). Borrowed from the sentence's tokens when no word is cut by either end (most
    /// pieces end at a word); otherwise they are copied and only a cut word is tokenised again.
    /// (A word's sentence-final full stop, cut from its token, changes nothing: the piece up to
    /// the stop tokenises to the same word.)
    fn between(&self, from: usize, to: usize) -> Cow<'_, [Tok<'t>]> {
        let (from, to) = (from.max(self.base), to.min(self.base + self.text.len()));
        if from >= to {
            return Cow::Borrowed(&[]);
        }
        let piece = |a: usize, b: usize| {
            let (a_in, b_in) = (a - self.base, b - self.base);
            tokens(&self.text[a_in..b_in], self.lower.and_then(|l| l.get(a_in..b_in)), a)
        };
        let first = self.toks.partition_point(|t| t.span.start < from);
        let end = self.toks.partition_point(|t| t.span.start < to);
        let inside = self.toks.get(first..end).unwrap_or_default();
        let cut_before = first.checked_sub(1).and_then(|i| self.toks.get(i)).filter(|t| t.span.end > from);
        let cut_after = inside.last().is_some_and(|t| t.span.end > to);
        if cut_before.is_none() && !cut_after {
            return Cow::Borrowed(inside);
        }
        let mut out = Vec::with_capacity(inside.len() + 2);
        if let Some(t) = cut_before {
            out.extend(piece(from, t.span.end.min(to)));
        }
        for t in inside {
            if t.span.end <= to {
                out.push(*t);
            } else {
                out.extend(piece(t.span.start, to));
            }
        }
        Cow::Owned(out)
    }

    /// The last `n` tokens before `at` (as [`Sent::between`] from the sentence's start has
    /// them), without reading the ones before.
    fn last_before(&self, at: usize, n: usize) -> Cow<'_, [Tok<'t>]> {
        let k = self.toks.partition_point(|t| t.span.start < at);
        // Tokenising from a token's start gives the same tokens from there on.
        let from = k.checked_sub(n + 1).and_then(|i| self.toks.get(i)).map_or(self.base, |t| t.span.start);
        let toks = self.between(from, at);
        let skip = toks.len().saturating_sub(n);
        match toks {
            Cow::Borrowed(toks) => Cow::Borrowed(toks.get(skip..).unwrap_or_default()),
            Cow::Owned(mut toks) => {
                toks.drain(..skip);
                Cow::Owned(toks)
            }
        }
    }

    /// The first `n` tokens from `at` to the sentence's end.
    fn first_after(&self, at: usize, n: usize) -> Cow<'_, [Tok<'t>]> {
        let k = self.toks.partition_point(|t| t.span.start < at);
        // Up to the end of a token, the tokens are those of the piece up to the sentence's end.
        let to = self.toks.get(k + n).map_or(self.base + self.text.len(), |t| t.span.start);
        match self.between(at, to) {
            Cow::Borrowed(toks) => Cow::Borrowed(toks.get(..n.min(toks.len())).unwrap_or_default()),
            Cow::Owned(mut toks) => {
                toks.truncate(n);
                Cow::Owned(toks)
            }
        }
    }
}

/// The ASCII bytes a word goes on through: letters, digits and `.'-` (no byte beyond ASCII),
/// byte by byte: what [`ascii_word_bytes`] stands for.
#[cfg(test)]
const WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = (b as u8).is_ascii_alphanumeric() || matches!(b as u8, b'.' | b'\'' | b'-');
        b += 1;
    }
    table
};

/// The high bit of each byte of `x` that is one of [`WORD_BYTES`]: letters in either case,
/// digits, `'`, and `-` and `.` (0x2d and 0x2e).
const fn ascii_word_bytes(x: u64) -> u64 {
    swar::ascii_letters(x)
        | swar::ascii_in(x, b'0', b'9')
        | swar::ascii_in(x, b'\'', b'\'')
        | swar::ascii_in(x, b'-', b'.')
}

/// The matches of `[\p{L}\p{N}][\p{L}\p{N}\p{M}.'’\-]*|[,;:()\[\]—–]` in `text`, found
/// without running it (a test holds them equal): a word starts at a letter or
/// digit and goes on through letters, digits, marks and `.'’-`; the punctuation that splits
/// clauses is a token of its own. The regex would cost a search per word, and sentences are
/// tokenised many times. ASCII is read byte by byte; of the other characters, a few per
/// sentence, those of the General Punctuation block (quotation marks, dashes, spaces: no
/// letters, digits or marks) are answered at once and only the rest ask a regex their class.
fn word_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    static STARTS: LazyLock<PerThread<Regex>> =
        LazyLock::new(|| PerThread::new(Regex::new(r"^[\p{L}\p{N}]").unwrap_or_else(|_| unreachable!())));
    static GOES_ON: LazyLock<PerThread<Regex>> =
        LazyLock::new(|| PerThread::new(Regex::new(r"^[\p{L}\p{N}\p{M}]").unwrap_or_else(|_| unreachable!())));
    let bytes = text.as_bytes();
    // The character at `i` (not ASCII) and whether `re` has it.
    let wide = move |i: usize, re: &Regex| {
        let c = text.get(i..).and_then(|t| t.chars().next()).unwrap_or('\0');
        let punctuation = ('\u{2000}'..='\u{206f}').contains(&c);
        (c, !punctuation && re.is_match(&text[i..i + c.len_utf8()]))
    };
    // Where the word that goes on from `i` ends: runs of ASCII word bytes are passed over eight
    // bytes at a time (see `swar`); a character beyond ASCII is asked its class.
    let word_end = move |mut i: usize| {
        loop {
            let rest = bytes.get(i..).unwrap_or_default();
            i += swar::position(rest, |x| swar::HIGH & !ascii_word_bytes(x)).unwrap_or(rest.len());
            if bytes.get(i).is_none_or(u8::is_ascii) {
                return i;
            }
            let (c, goes_on) = wide(i, GOES_ON.get());
            if !(goes_on || c == '’') {
                return i;
            }
            i += c.len_utf8();
        }
    };
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(&b) = bytes.get(i) {
            let at = i;
            if b.is_ascii() {
                i += 1;
                if b.is_ascii_alphanumeric() {
                    i = word_end(i);
                    return Some((at, i));
                }
                if matches!(b, b',' | b';' | b':' | b'(' | b')' | b'[' | b']') {
                    return Some((at, i));
                }
            } else {
                let (c, starts) = wide(at, STARTS.get());
                i += c.len_utf8();
                if starts {
                    i = word_end(i);
                    return Some((at, i));
                }
                if matches!(c, '—' | '–') {
                    return Some((at, i));
                }
            }
        }
        None
    })
}

fn is_in(set: &WordSet, w: &str) -> bool {
    set.contains(w)
}

/// What a mention refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A person's name (full or surname).
    Name,
    /// An organisation, government, place or group by name.
    Group,
    /// "he", "she".
    PersonPronoun,
    /// "it", "they".
    GroupPronoun,
    /// "the minister", "a senior official", "Russia's top diplomat".
    PersonRole,
    /// "the ministry", "the company", "officials".
    GroupRole,
}

/// A subject noun phrase found next to a cue.
#[derive(Debug, Clone)]
struct Mention {
    span: Span,
    kind: Kind,
    /// Lowercase head word.
    head: String,
    /// For names: the name without titles ("Sergei Lavrov"); for groups: without the article.
    name: String,
    /// Lowercase role words in the phrase ("foreign", "minister").
    roles: Vec<String>,
    indefinite: bool,
    /// Punctuation (or nothing) comes right before the mention: the "he" of `..., he said`.
    after_break: bool,
}

/// Walks back from the end of `toks` over a subject noun phrase.
fn np_before(toks: &[Tok<'_>], text: &str, base: usize, know: &SpeakerKnowledge) -> Option<Mention> {
    let mut end = toks.len();
    // Drop filler and time expressions between subject and cue.
    loop {
        let last = end.checked_sub(1).and_then(|i| toks.get(i))?;
        let l = last.lower();
        // A short time word after a capitalised one is part of a name: "Zhang Jun".
        let in_name = l.len() <= 3 && end >= 2 && toks[end - 2].is_cap() && last.is_cap();
        // A name alone before the cue is no date or modal: "May added that ...".
        if toks.len() == 1 && calendar_name(toks, 0) {
            break;
        }
        if is_in(&FILLER, &l)
            || (is_in(&TIME_WORDS, &l) && !in_name)
            || (l.chars().all(|c| c.is_ascii_digit()) && end >= 2)
        {
            end -= 1;
            continue;
        }
        // "Chinese envoy Zhang Jun for his part urged".
        if end >= 4
            && toks[end - 1].lower() == "part"
            && toks[end - 3].lower() == "for"
            && matches!(&*toks[end - 2].lower(), "his" | "her" | "its" | "their" | "our" | "my")
        {
            end -= 3;
            continue;
        }
        // "sources familiar with the matter", "people close to the talks", "officials with
        // knowledge of the plans": what they know, not who they are.
        if let Some(p) = (end.saturating_sub(7)..end).find(|&i| {
            let w = toks[i].lower();
            let next = toks.get(i + 1).map(Tok::lower);
            i > 0
                && ((matches!(&*w, "familiar" | "close") && matches!(next.as_deref(), Some("with" | "to")))
                    || (w == "with" && matches!(next.as_deref(), Some("knowledge" | "direct"))))
                && toks[i + 1..end].iter().all(|t| !t.is_punct())
        }) {
            end = p;
            continue;
        }
        // "on Saturday", "in a statement", "in an interview with AFP": a trailing phrase.
        let platform = |w: &str| {
            matches!(
                w,
                "remarks"
                    | "comments"
                    | "twitter"
                    | "x"
                    | "telegram"
                    | "facebook"
                    | "instagram"
                    | "television"
                    | "tv"
                    | "radio"
            )
        };
        if let Some(p) = (end.saturating_sub(6)..end).rev().find(|&i| {
            let w = toks[i].lower();
            matches!(&*w, "on" | "in" | "at" | "during" | "via" | "through")
                && i > 0
                && toks.get(i + 1).is_some_and(|n| {
                    let n = n.lower();
                    is_in(&TIME_WORDS, &n) || is_in(&DETERMINERS, &n) || platform(&n)
                })
                // The phrase must run to the cue: "Also on Wednesday, Lavrov" keeps Lavrov,
                // and "in November when she suggested" keeps "she".
                && toks[i + 1..end].iter().all(|t| !t.is_punct() && !is_in(&PRONOUNS, &t.lower()))
                && toks.get(end - 1).is_some_and(|t| {
                    let l = t.lower();
                    !t.is_cap() || is_in(&TIME_WORDS, &l) || platform(&l)
                })
        }) && p > 0
        {
            end = p;
            continue;
        }
        break;
    }
    let toks = &toks[..end];
    let head = toks.last()?;
    let hl = head.lower();
    if head.is_punct() || head.is_possessive() || is_in(&DETERMINERS, &hl) {
        return None;
    }
    // A word that opens a clause is no name: "As reported by ...", "When asked, ...".
    if toks.len() == 1 && matches!(&*hl, "as" | "when" | "if" | "while" | "since" | "because" | "although" | "though") {
        return None;
    }
    let mention = |from: usize, kind: Kind, indefinite: bool| -> Mention {
        let span = Span::new(toks[from].span.start, head.span.end);
        let phrase = &toks[from..];
        let roles: Vec<String> = phrase
            .iter()
            .map(Tok::bare)
            .filter(|w| classes(w) & TITLE != 0 || is_role(w, know))
            .map(Cow::into_owned)
            .collect();
        let name = match kind {
            Kind::Name => without_place(person_name(phrase), know),
            _ => {
                let s = span.slice_at(text, base);
                strip_article(s).to_owned()
            }
        };
        let after_break = from == 0 || toks[from - 1].is_punct();
        Mention { span, kind, head: head.bare().into_owned(), name, roles, indefinite, after_break }
    };
    if is_in(&PRONOUNS, &hl) {
        let prev_ok = toks.len() == 1 || toks[toks.len() - 2].is_punct() || is_in(&STOP, &toks[toks.len() - 2].lower());
        if !prev_ok {
            return None;
        }
        let kind = if hl == "he" || hl == "she" || hl == "i" { Kind::PersonPronoun } else { Kind::GroupPronoun };
        return Some(mention(toks.len() - 1, kind, false));
    }
    // A lowercase noun right after an article is someone by role even when the tables do not
    // know the word: "the prelate said", "the archbishop added".
    let unknown_role = !head.is_cap()
        && toks.len() >= 2
        && matches!(&*toks[toks.len() - 2].lower(), "the" | "a" | "an")
        // ... but not the object of a preposition: "as a whole", "familiar with the matter".
        && !(toks.len() >= 3 && is_in(&PREPOSITIONS, &toks[toks.len() - 3].lower()))
        && head.text.chars().all(char::is_lowercase)
        && !is_in(&STOP, &hl)
        && !is_in(&FILLER, &hl);
    let head_is_role = !head.is_cap() && (is_role(&hl, know) || unknown_role);
    if !head.is_cap() && !head_is_role {
        return None;
    }
    // Walk back over the phrase.
    let mut from = toks.len() - 1;
    let mut indefinite = false;
    let mut steps = 0;
    while from > 0 {
        let t = toks[from - 1];
        let l = t.lower();
        // "in" a place after an institution is part of its name: "Monitoring Mission in Ukraine"
        // (but "Police in Moscow" are people of a place: see below).
        let place_of_institution = l == "in"
            && from >= 2
            && head.is_cap()
            && toks[from - 2].is_cap()
            && is_in(&GROUP_ROLES, &toks[from - 2].bare())
            && !is_in(&LOCAL_GROUPS, &toks[from - 2].bare());
        let name_joiner = (matches!(&*l, "in" | "on" | "and")
            && from >= 2
            && toks[from - 2].is_cap()
            && head.is_cap()
            && is_in(&GROUP_ROLES, &head.bare()))
            || place_of_institution;
        let date = is_in(&TIME_WORDS, &l) && t.is_cap() && !calendar_name(toks, from - 1);
        if t.is_punct() || (is_in(&STOP, &l) && !name_joiner && !calendar_name(toks, from - 1)) || date {
            // "of"/"for" join a role to a name: "Secretary of State", "chief of staff".
            break;
        }
        // "the General Staff of the Armed Forces": an article after "of" is inside the name.
        // After a lowercase role ("the head of the Church") it opens the name the role is of,
        // which the branches after the walk read.
        // So is "a" after "for" before a capital: "Center for a New American Security".
        let inner_article = from >= 3
            && toks[from - 3].is_cap()
            && match &*l {
                "the" => matches!(&*toks[from - 2].lower(), "of" | "for"),
                "a" | "an" => toks[from - 2].lower() == "for" && toks.get(from).is_some_and(|n| n.is_cap()),
                _ => false,
            };
        // "one resident": someone unnamed, as "a resident" is.
        if (is_in(&DETERMINERS, &l) || (l == "one" && head_is_role)) && !inner_article {
            from -= 1;
            indefinite = matches!(&*l, "a" | "an" | "another" | "one");
            break;
        }
        let joins = matches!(&*l, "of" | "for") && from >= 2 && {
            let before = toks[from - 2];
            before.is_cap() || is_role(&before.bare(), know)
        };
        // Inside an institution's name more small words join: "Committee for Freedom in Hong
        // Kong Foundation".
        let joins = joins
            || (matches!(&*l, "in" | "on" | "and")
                && from >= 2
                && toks[from - 2].is_cap()
                && is_in(&GROUP_ROLES, &head.bare()))
            || place_of_institution;
        let ok = t.is_cap()
            || t.is_possessive()
            || is_role(&t.bare(), know)
            || joins
            || inner_article
            || is_in(&PARTICLES, &l)
            // lowercase modifiers inside a role phrase: "a top US security advisor"
            || (head_is_role && steps < 4 && t.text.chars().all(|c| c.is_lowercase() || c == '-'));
        if !ok {
            break;
        }
        from -= 1;
        steps += 1;
    }
    // "the authorities in Kyiv", "Federal prosecutors in Texas", "Police in Moscow": people of
    // a place speak, not the place: "Kyiv authorities", "Texas federal prosecutors".
    if from >= 2
        && toks[from - 1].lower() == "in"
        && !head_is_role
        && is_in(&LOCAL_GROUPS, &toks[from - 2].bare())
        && toks[from..].iter().all(|t| t.is_cap() && !is_in(&ORG_WORDS, &t.bare()))
    {
        // The group with its modifiers ("federal prosecutors"), back to an article or a break.
        let mut start = from - 2;
        while start > 0 && start + 3 > from - 2 {
            let t = toks[start - 1];
            let l = t.lower();
            if t.is_punct() || t.is_possessive() || is_in(&STOP, &l) || is_in(&DETERMINERS, &l) {
                break;
            }
            start -= 1;
        }
        let article = start > 0 && is_in(&DETERMINERS, &toks[start - 1].lower());
        let opening = if article { start - 1 } else { start };
        let after_break = opening == 0 || toks[opening - 1].is_punct();
        let span = Span::new(toks[opening].span.start, head.span.end);
        let group = Span::new(toks[start].span.start, toks[from - 2].span.end).slice_at(text, base);
        // A capital that only opens the sentence is not the group's ("Federal prosecutors"),
        // one of a name is ("Ukrainian officials").
        let common = |first: &Tok<'_>| {
            is_in(&LOCAL_GROUPS, &first.bare())
                || matches!(
                    &*first.bare(),
                    "federal" | "local" | "regional" | "state" | "city" | "municipal" | "provincial"
                )
                || written_lower(text, first.text)
        };
        let group = match group.chars().next() {
            Some(c) if after_break && !article && c.is_uppercase() && common(&toks[start]) => {
                format!("{}{}", c.to_lowercase(), &group[c.len_utf8()..])
            }
            _ => group.to_owned(),
        };
        let place = Span::new(toks[from].span.start, head.span.end).slice_at(text, base);
        return Some(Mention {
            span,
            kind: Kind::Group,
            head: toks[from - 2].bare().into_owned(),
            name: format!("{place} {group}"),
            roles: Vec::new(),
            indefinite: false,
            after_break,
        });
    }
    // "The head of the Ukrainian Greek Catholic Church": a person by role, not the church.
    // "Researchers at the Committee ...", "officials from the ministry": the institution speaks.
    if from >= 2
        && matches!(&*toks[from - 1].lower(), "of" | "for" | "at" | "from")
        && !head_is_role
        && matches!(
            &*toks[from - 2].bare(),
            "researchers" | "officials" | "analysts" | "experts" | "scientists" | "staff"
        )
    {
        let span = Span::new(toks[from - 2].span.start, head.span.end);
        let name = strip_article(Span::new(toks[from].span.start, head.span.end).slice_at(text, base)).to_owned();
        return Some(Mention {
            span,
            kind: Kind::Group,
            head: head.bare().into_owned(),
            name,
            roles: Vec::new(),
            indefinite: false,
            after_break: from == 2 || toks[from - 3].is_punct(),
        });
    }
    if from >= 2
        && matches!(&*toks[from - 1].lower(), "of" | "for" | "at")
        && !head_is_role
        && is_in(&PERSON_ROLES, &toks[from - 2].bare())
    {
        let role = toks[from - 2];
        let mut start = from - 2;
        while start > 0 {
            let t = toks[start - 1];
            let l = t.lower();
            if is_in(&DETERMINERS, &l) || t.is_possessive() {
                start -= 1;
                break;
            }
            if t.is_punct() || is_in(&STOP, &l) || start + 4 < from {
                break;
            }
            start -= 1;
        }
        let span = Span::new(toks[start].span.start, head.span.end);
        let roles = toks[start..from].iter().map(Tok::bare).filter(|w| is_role(w, know)).map(Cow::into_owned).collect();
        let indefinite = matches!(&*toks[start].lower(), "a" | "an" | "another");
        let name = strip_article(span.slice_at(text, base)).to_owned();
        let after_break = start == 0 || toks[start - 1].is_punct();
        return Some(Mention {
            span,
            kind: Kind::PersonRole,
            head: role.bare().into_owned(),
            name,
            roles,
            indefinite,
            after_break,
        });
    }
    // A phrase may not start with a dangling "of"/"for".
    while from < toks.len() - 1 && matches!(&*toks[from].lower(), "of" | "for") {
        from += 1;
    }
    let phrase = &toks[from..];
    let caps_tail = phrase.iter().rev().take_while(|t| t.is_cap() && !is_in(&TITLES, &t.bare())).count();
    let org = phrase.iter().any(|t| t.is_cap() && is_in(&ORG_WORDS, &t.bare()))
        || (head.text.len() >= 2 && head.text.chars().all(|c| c.is_uppercase() || c == '.'));
    let kind = if head_is_role {
        if is_in(&GROUP_ROLES, &hl) || is_group_plural(&hl) { Kind::GroupRole } else { Kind::PersonRole }
    } else if org && caps_tail <= phrase.len() {
        let person_tail =
            phrase.iter().rev().take_while(|t| t.is_cap() && classes(&t.bare()) & (TITLE | ORG_WORD) == 0).count();
        // "Foreign Minister Lavrov": a one-word name right after a person's title; in "the
        // General Staff of the Armed Forces of Ukraine" an "of" comes between.
        let titled =
            phrase.len() > person_tail && is_person_title(&phrase[phrase.len() - person_tail - 1].bare(), know);
        if person_tail >= 2 || (person_tail == 1 && titled) { Kind::Name } else { Kind::Group }
    } else if caps_tail >= 2 || phrase.len() > caps_tail {
        Kind::Name
    } else {
        // One capitalised word: a surname already met, or an organisation or place.
        Kind::Name
    };
    Some(mention(from, kind, indefinite))
}

/// Whether `toks[i]`, a word of the calendar, is a name here: "Jan Egeland", "Theresa May",
/// "Zhang Jun". It is one when a capitalised word stands beside it (or it stands alone), and
/// no abbreviation's stop, number or preposition makes it a date ("Jan. 26", "May 5", "in May
/// Sweden").
fn calendar_name(toks: &[Tok<'_>], i: usize) -> bool {
    let Some(t) = toks.get(i) else { return false };
    // (Cheap tests first: each such word is capitalised, short, and starts with J, M, S or A.)
    if !matches!(t.text.as_bytes().first(), Some(b'J' | b'M' | b'S' | b'A')) || t.text.len() > 6 {
        return false;
    }
    let prev = i.checked_sub(1).and_then(|j| toks.get(j));
    let next = toks.get(i + 1);
    let digit = |n: &Tok<'_>| n.text.starts_with(|c: char| c.is_ascii_digit());
    let name_word = |n: &Tok<'_>| n.is_cap() && classes(&n.bare()) & (TIME_WORD | STOP_WORD | DETERMINER) == 0;
    t.is_cap()
        && !t.text.ends_with('.')
        && matches!(&*t.bare(), "jan" | "may" | "jun" | "sun" | "august")
        && !prev.is_some_and(|p| is_in(&PREPOSITIONS, &p.lower()) || digit(p))
        && !next.is_some_and(digit)
        && (prev.is_some_and(name_word) || next.is_some_and(name_word) || toks.len() == 1)
}

fn is_role(w: &str, know: &SpeakerKnowledge) -> bool {
    classes(w) & (PERSON_ROLE | GROUP_ROLE) != 0
        // "the 45-year-old": someone known by age.
        || w.strip_suffix("-year-old").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || know.roles.iter().any(|r| r == w)
        || w.strip_suffix('s').is_some_and(|s| is_in(&PERSON_ROLES, s))
        || is_group_plural(w)
}

/// Several organisations of a kind that speak: "rights groups", "aid agencies", "companies"
/// (not places: "the two regions", "both countries").
/// Whom "they" or "it" (`pronoun`) stand for when the sentence before, `prev`, made no claim:
/// the people it opens with for "they" ("Police arrested two men. They said ..."), the
/// organisation for "it" ("The company cut 300 jobs on Monday. It said ..."). None when it
/// opens with anything else: a person, a name that may be one ("Russia" reads like a surname),
/// "The talks".
fn pronoun_subject(
    pronoun: &str,
    prev: &Sent<'_>,
    text: &str,
    reg: &mut Registry,
    ctx: &Context,
    know: &SpeakerKnowledge,
) -> Option<String> {
    let m = leading_np(&prev.toks, text, know)?;
    let head = lowercase(&m.head);
    let fits = match pronoun {
        "they" => !matches!(m.kind, Kind::PersonPronoun | Kind::GroupPronoun) && plural_people(&head, know),
        "it" => match m.kind {
            Kind::Group => true,
            Kind::GroupRole => is_in(&GROUP_ROLES, &head) && !plural_people(&head, know),
            _ => false,
        },
        _ => false,
    };
    fits.then(|| resolve_quiet(&m, reg, ctx, know))
}

/// The name in `span` of `text` when it is a signature: a dash and two to four capitalised
/// words, nothing else ("– Kostyantyn Mashovets", "— Jane Doe.").
fn signature(text: &str, span: Span) -> Option<Span> {
    let line = span.slice(text);
    let body = line.trim_start().strip_prefix(['–', '—', '-'])?;
    let name = body.trim().trim_end_matches('.');
    let words = name.split_whitespace().count();
    let capitalised = name.split_whitespace().all(|w| {
        w.starts_with(char::is_uppercase) && w.chars().all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.'))
    });
    if !(2..=4).contains(&words) || !capitalised {
        return None;
    }
    let start = span.start + line.find(name)?;
    Some(Span::new(start, start + name.len()))
}

/// A head noun for several people: "police", "officials", "prosecutors", "researchers",
/// "Haugen's attorneys" (not "the talks", which no table knows as people).
fn plural_people(head: &str, know: &SpeakerKnowledge) -> bool {
    matches!(head, "police" | "people" | "authorities")
        || (head.ends_with('s') && !head.ends_with("ss") && is_role(head, know) && !is_group_plural(head))
}

fn is_group_plural(w: &str) -> bool {
    matches!(
        w,
        "groups"
            | "organizations"
            | "organisations"
            | "agencies"
            | "companies"
            | "unions"
            | "parties"
            | "governments"
            | "ministries"
            | "banks"
            | "associations"
            | "networks"
            | "coalitions"
            | "movements"
            | "charities"
            | "ngos"
    )
}

/// Title words that name a state or a union of states ("US Secretary of State"), not a rank.
fn is_state_word(w: &str) -> bool {
    matches!(w, "u.s" | "us" | "uk" | "u.k" | "eu" | "un" | "u.n" | "nato")
}

fn is_person_title(w: &str, know: &SpeakerKnowledge) -> bool {
    (is_in(&TITLES, w) && !is_state_word(w) && !matches!(w, "white" | "national" | "security" | "foreign" | "state"))
        || is_in(&PERSON_ROLES, w)
        || know.roles.iter().any(|r| r == w)
}

/// A noun phrase after an inverted cue: `," said Kremlin spokesman Dmitry Peskov.`
fn np_after(toks: &[Tok<'_>], text: &str, base: usize, know: &SpeakerKnowledge) -> Option<Mention> {
    // "According to him, ...": a pronoun as object.
    if let Some(first) = toks.first()
        && toks.get(1).is_none_or(Tok::is_punct)
    {
        let (kind, head) = match &*first.lower() {
            "him" => (Kind::PersonPronoun, "he"),
            "her" => (Kind::PersonPronoun, "she"),
            "them" => (Kind::GroupPronoun, "they"),
            _ => (Kind::Name, ""),
        };
        if !head.is_empty() {
            return Some(Mention {
                span: first.span,
                kind,
                head: head.to_owned(),
                name: first.text.to_owned(),
                roles: Vec::new(),
                indefinite: false,
                after_break: true,
            });
        }
    }
    // Up to the next punctuation or clause word, then back off trailing lowercase words:
    // "wrote Ukrainian commentator Iryna Voichuk on January 16" → "... Iryna Voichuk".
    let mut end = 0;
    while end < toks.len() && end < 12 {
        let t = toks[end];
        let l = t.lower();
        // "in" a place after an institution goes on with its name (see `np_before`).
        let place_of_institution = l == "in"
            && end > 0
            && toks[end - 1].is_cap()
            && is_in(&GROUP_ROLES, &toks[end - 1].bare())
            && toks.get(end + 1).is_some_and(|n| n.is_cap());
        let date_or_stop = (is_in(&STOP, &l) || is_in(&TIME_WORDS, &l)) && !calendar_name(toks, end);
        if t.is_punct() || (end > 0 && !place_of_institution && date_or_stop) {
            break;
        }
        end += 1;
    }
    // "according to an analysis by The New York Times": the publisher speaks.
    if end > 0
        && toks.get(end).is_some_and(|t| matches!(&*t.lower(), "by" | "from"))
        && is_in(&PUBLICATIONS, &toks[end - 1].bare())
        && let Some(publisher) = toks.get(end + 1..).and_then(|rest| np_after(rest, text, base, know))
    {
        return Some(publisher);
    }
    while end > 0 {
        let t = toks[end - 1];
        let l = t.lower();
        let keep = (t.is_cap() && !t.is_possessive()) || is_role(&t.bare(), know) || (end == 1 && is_in(&PRONOUNS, &l));
        if keep {
            break;
        }
        end -= 1;
    }
    // "Posted Sun 3 Oct": a date, read as a whole ("Sun" alone could be a name).
    if end == 0 || is_in(&TIME_WORDS, &toks[0].lower()) && !calendar_name(toks, 0) {
        return None;
    }
    let found = np_before(&toks[..end], text, base, know)?;
    // "said the Estonian prime minister, Kristen Michal.": the person's name set off by a
    // comma after the role is who spoke, with the role part of the mention.
    if found.kind == Kind::PersonRole
        && toks.get(end).is_some_and(|t| t.text == ",")
        && let Some(rest) = toks.get(end + 1..)
    {
        let run = rest.iter().position(Tok::is_punct).unwrap_or(rest.len());
        let name = &rest[..run];
        if (2..=4).contains(&name.len())
            && name.iter().all(|t| t.is_cap() && !t.is_possessive())
            && let Some(mut person) =
                np_before(name, text, base, know).filter(|m| m.kind == Kind::Name && m.span.start == name[0].span.start)
        {
            person.span.start = found.span.start;
            return Some(person);
        }
    }
    Some(found)
}

/// What organisations publish, and speak through: "the report", "a UN study", "a statement from
/// the ministry", "figures from the agency".
static PUBLICATIONS: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "report", "study", "survey", "analysis", "paper", "researchers", "investigation", "inquiry", "probe", "audit",
        "poll", "findings", "data", "statement", "communique", "communiqué", "figures", "estimates", "release",
        "bulletin", "assessment", "documents", "letter",
    ])
});

/// A name without the common nouns before it: "agency RIA Novosti" is RIA Novosti. Particles
/// of names ("de", "van", "al") stay, and so does a phrase with no capital after them.
fn without_common_nouns(name: &str) -> &str {
    let mut rest = name;
    while let Some((word, tail)) = rest.split_once(' ') {
        let lower = word.chars().next().is_some_and(char::is_lowercase) && word.chars().all(char::is_alphabetic);
        if !lower || is_in(&NAME_PARTICLES, word) || !tail.starts_with(char::is_uppercase) && !tail.contains(' ') {
            break;
        }
        rest = tail.trim_start();
    }
    if rest.starts_with(char::is_uppercase) { rest } else { name }
}

fn strip_article(s: &str) -> &str {
    for a in ["the ", "The ", "a ", "A ", "an ", "An "] {
        if let Some(r) = s.strip_prefix(a) {
            return r;
        }
    }
    s
}

/// `name` without a place that opens it: "the Commander-in-Chief of the Armed Forces of
/// Ukraine Oleksandr Syrskyi" names "Oleksandr Syrskyi". A place is a country or capital the
/// speaker knowledge knows (an alias or what one stands for), of one or two words, and at
/// least two words must be left.
fn without_place(name: String, know: &SpeakerKnowledge) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    for k in [2, 1] {
        if words.len() < k + 2 {
            continue;
        }
        let place = words[..k].join(" ");
        let known = know.aliases.contains_key(&place.to_lowercase())
            || know.aliases.values().any(|v| v.eq_ignore_ascii_case(&place));
        if known {
            return words[k..].join(" ");
        }
    }
    name
}

/// A person's name from a phrase: the capitalised words after the last title; "Celso Pacheco
/// of Guatemala" is Celso Pacheco.
fn person_name(phrase: &[Tok<'_>]) -> String {
    if let Some(of) = phrase.iter().rposition(|t| matches!(t.text, "of" | "from")) {
        let before = person_name_tail(&phrase[..of]);
        if before.split_whitespace().count() >= 2 && person_name_tail(&phrase[of + 1..]).split_whitespace().count() < 2
        {
            return before;
        }
    }
    person_name_tail(phrase)
}

fn person_name_tail(phrase: &[Tok<'_>]) -> String {
    let tail: Vec<&str> = phrase
        .iter()
        .rev()
        .enumerate()
        .take_while(|(k, t)| {
            if !t.is_cap() {
                return is_in(&PARTICLES, &t.lower());
            }
            if calendar_name(phrase, phrase.len() - 1 - k) {
                return true;
            }
            let b = t.bare();
            let c = classes(&b);
            // A role word before the surname is a description: "Survivor Celso Pacheco".
            let role = *k > 0 && c & (PERSON_ROLE | GROUP_ROLE) != 0;
            (!role
                && c & (TITLE | ORG_WORD | DETERMINER | STOP_WORD) == 0
                // "Jun" ends "Zhang Jun"; "Monday" ends no name.
                && !(c & TIME_WORD != 0 && (b.len() > 3 || *k > 0)))
                || is_in(&PARTICLES, &t.lower())
        })
        .map(|(_, t)| t.text)
        .collect();
    if tail.is_empty() {
        return phrase.last().map_or(String::new(), |t| t.text.to_owned());
    }
    let mut t: Vec<&str> = tail.into_iter().rev().collect();
    while t.first().is_some_and(|w| is_in(&PARTICLES, &w.to_lowercase())) {
        t.remove(0);
    }
    t.join(" ")
}

impl Span {
    fn slice_at<'t>(&self, text: &'t str, base: usize) -> &'t str {
        text.get(self.start.saturating_sub(base)..self.end.saturating_sub(base)).unwrap_or("")
    }
}

/// Everyone the document names, in order, for resolving later mentions.
#[derive(Debug, Default)]
struct Registry {
    people: Vec<Person>,
    groups: Vec<(String, usize)>,
    /// Where people are mentioned outside quotations (full name or surname), in text order:
    /// (position, person, sentence).
    mentions: Vec<(usize, usize, usize)>,
    /// Organisations named in the text (position, name), in text order.
    orgs: Vec<(usize, String)>,
    /// Acronyms the text defines, with the names they stand for: "the Australian Tax Office
    /// (ATO)" makes a later "the ATO said" the Australian Tax Office's claim.
    acronyms: Vec<(String, String)>,
    /// The same, only where the mention reads as a subject (early in its sentence, not after
    /// a preposition): "he" in the next sentence most likely means one of these.
    subjects: Vec<(usize, usize, usize)>,
    /// Per sentence that opens with a subordinate clause, where its main clause starts
    /// (sentence, position), in text order (see [`main_clause`]).
    main_clauses: Vec<(usize, usize)>,
}

#[derive(Debug)]
struct Person {
    name: String,
    surname: String,
    first_at: usize,
    roles: Vec<String>,
    /// How often the full name occurs.
    full: usize,
    /// True for "she", false for "he", once a pronoun has been resolved to the person.
    female: Option<bool>,
}

/// True when `doc` has `word` (ASCII, capitalised) in lower case as a whole word.
fn written_lower(doc: &str, word: &str) -> bool {
    let mut buf = [0u8; 24];
    let Some(lower) = buf.get_mut(..word.len()).filter(|_| word.is_ascii() && word.len() >= 2) else {
        return false;
    };
    lower.copy_from_slice(word.as_bytes());
    lower.make_ascii_lowercase();
    if lower.first() == word.as_bytes().first() {
        return false;
    }
    let bytes = doc.as_bytes();
    memchr::memmem::find_iter(bytes, &*lower).any(|at| {
        let before = at.checked_sub(1).and_then(|i| bytes.get(i)).is_none_or(|&b| !b.is_ascii_alphanumeric());
        let after = bytes.get(at + lower.len()).is_none_or(|&b| !b.is_ascii_alphanumeric());
        before && after
    })
}

/// [`fold`] of an ASCII `s`: its letters and digits, lower-cased, in one allocation.
fn ascii_folded(s: &str) -> String {
    let mut f = String::with_capacity(s.len());
    for b in s.bytes().filter(u8::is_ascii_alphanumeric) {
        f.push(char::from(b.to_ascii_lowercase()));
    }
    f
}

fn fold(s: &str) -> String {
    if s.is_ascii() {
        return ascii_folded(s);
    }
    s.chars()
        .filter_map(|c| {
            let c = c.to_lowercase().next().unwrap_or(c);
            // Sergei and Sergey, Zelenskyy and Zelensky: compare letters loosely.
            Some(match c {
                'á' | 'à' | 'ä' | 'â' | 'ã' | 'å' | 'ą' => 'a',
                'é' | 'è' | 'ë' | 'ê' | 'ę' => 'e',
                'í' | 'ì' | 'ï' | 'î' => 'i',
                'ó' | 'ò' | 'ö' | 'ô' | 'õ' | 'ø' => 'o',
                'ú' | 'ù' | 'ü' | 'û' => 'u',
                'ł' => 'l',
                'ń' | 'ñ' => 'n',
                'ś' | 'š' => 's',
                'ż' | 'ź' | 'ž' => 'z',
                'ć' | 'č' => 'c',
                'ř' => 'r',
                c if c.is_alphanumeric() => c,
                _ => return None,
            })
        })
        .collect()
}

fn surname_key(name: &str) -> String {
    let last = name.split_whitespace().last().unwrap_or("");
    let mut f = fold(last);
    f.truncate(f.trim_end_matches('y').trim_end_matches('i').len());
    f
}

/// True when `acronym` is the initials of the capitalised words of `name`: "ATO" of
/// "Australian Tax Office", "ISW" of "Institute for the Study of War".
fn abbreviates(acronym: &str, name: &str) -> bool {
    let initials: String =
        name.split_whitespace().filter_map(|w| w.chars().next()).filter(|c| c.is_uppercase()).collect();
    acronym.chars().count() >= 2 && initials == acronym
}

/// An acronym in parentheses right after a name: " (ATO)".
static DEFINED_ACRONYM: LazyLock<PerThread<Regex>> =
    LazyLock::new(|| PerThread::new(Regex::new(r"^\s*\((\p{Lu}{2,8})\)").unwrap_or_else(|_| unreachable!())));

impl Registry {
    /// The name an acronym the text defined stands for.
    fn expand(&self, acronym: &str) -> Option<&str> {
        self.acronyms.iter().find(|(a, _)| a == acronym).map(|(_, n)| n.as_str())
    }

    /// Registers every full personal name in `sent` (`names`: its runs of capitalised words),
    /// with the role words around it. `doc` is the whole text, for words that only a
    /// sentence's start capitalises.
    fn scan(&mut self, sent: &Sent<'_>, names: &[(usize, usize)], doc: &str, know: &SpeakerKnowledge) {
        let (text, base) = (sent.text, sent.base);
        for &(start, end) in names {
            // A name starts a word ("McDonald" holds no "Donald").
            if text[..start].chars().next_back().is_some_and(char::is_alphanumeric) {
                continue;
            }
            let toks = sent.between(base + start, base + end);
            let name = without_place(person_name(&toks), know);
            let n_words = name.split_whitespace().count();
            if !(2..=4).contains(&n_words) {
                continue;
            }
            // (Unless the word is a name here: "Jan Egeland", not "in May Sweden".)
            let calendar = |word: &str| {
                let context: Vec<Tok<'_>> =
                    sent.last_before(base + start, 1).iter().chain(toks.iter()).copied().collect();
                context.iter().enumerate().any(|(i, t)| t.text == word && calendar_name(&context, i))
            };
            if name.split_whitespace().any(|w| {
                let l = lowercase(w);
                (is_in(&TIME_WORDS, &l) || is_in(&STOP, &l)) && !calendar(w)
            }) {
                continue;
            }
            // "Many Apple employees": a word that opens sentences, not names.
            if name.split_whitespace().next().is_some_and(|w| is_in(&NOT_FIRST_NAMES, &lowercase(w))) {
                continue;
            }
            // "Internal Facebook posts often contain ...": a sentence's first word that the text
            // also writes in lower case ("internal documents") is a common word, not a first
            // name, unless the rules know it as one ("Mark").
            if text[..start].trim_start_matches(['"', '“', '‘', '\'', '(', '*', ' ']).is_empty()
                && let Some(first) = text.get(start..end).and_then(|run| run.split_whitespace().next())
                && name.split_whitespace().next() == Some(first)
                && know.female_by_name(first).is_none()
                && written_lower(doc, first)
            {
                continue;
            }
            // "Alphabet's Google": whatever belongs to someone is not a first name and a surname.
            if name.contains("'s ") || name.contains("’s ") {
                continue;
            }
            // "No. Take Apple, for example": a full stop after a word that is neither an
            // initial ("U.S.", "J.") nor a title ("Mr.", "Gen.") ends a sentence inside the run.
            if text.get(start..end).is_some_and(|run| {
                let words: Vec<&str> = run.split_whitespace().collect();
                words.iter().take(words.len().saturating_sub(1)).any(|w| {
                    w.strip_suffix('.').is_some_and(|bare| {
                        let letters = bare.chars().filter(|c| c.is_alphabetic()).count();
                        letters >= 2
                            && !bare.contains('.')
                            && classes(&lowercase(bare)) & TITLE == 0
                            && !is_in(&NAME_ABBREVIATIONS, &lowercase(bare))
                    })
                })
            }) {
                continue;
            }
            // Role words around the name: "Kremlin spokesman Dmitry Peskov", "The Russian
            // ambassador to Warsaw, Sergey Andreev", "Daniel Bunn, vice president at ...".
            let after = text.get(end..).unwrap_or("");
            let mut roles: Vec<String> = toks
                .iter()
                .map(Tok::bare)
                .filter(|w| classes(w) & TITLE != 0 || is_role(w, know))
                .map(Cow::into_owned)
                .collect();
            // Not past a reporting verb: in "ICIJ director Gerard Ryle says the Pandora
            // Papers reveal", "director" is Ryle's role.
            roles.extend(
                sent.last_before(base + start, 6)
                    .iter()
                    .rev()
                    .map(Tok::bare)
                    .take_while(|w| !is_in(&REPORTING_VERBS, w))
                    .filter(|w| is_role(w, know))
                    .map(Cow::into_owned),
            );
            if after.starts_with(',') {
                roles.extend(
                    sent.first_after(base + end, 6)
                        .iter()
                        .map(Tok::bare)
                        .filter(|w| is_role(w, know))
                        .map(Cow::into_owned),
                );
            }
            let key = surname_key(&name);
            if let Some(p) = self.people.iter_mut().find(|p| p.surname == key) {
                // A name first read without a role ("Home WorldEurope Shevchuk", a headline
                // glued to its breadcrumbs) gives way to one the text introduces with a role
                // ("Major Archbishop Sviatoslav Shevchuk").
                if p.roles.is_empty() && !roles.is_empty() && p.name != name {
                    p.female = p.female.or_else(|| know.female_by_name(&name));
                    p.name = name;
                }
                p.roles.extend(roles);
                p.full += 1;
            } else {
                let female = know.female_by_name(&name);
                self.people.push(Person { name, surname: key, first_at: base + start, roles, full: 1, female });
            }
        }
    }

    /// Keeps the candidates that read as people: named with a title or role ("Foreign
    /// Minister Sergei Lavrov"), or referred to by surname alone elsewhere ("Lavrov"). That
    /// drops capitalised phrases such as "United Arab List" or "Santa Barbara". Then records
    /// where each person is mentioned, for resolving pronouns.
    fn finish(
        &mut self,
        text: &str,
        sentences: &[(Sentence, usize)],
        sents: &[Sent<'_>],
        orgs: &[Runs],
        know: &SpeakerKnowledge,
    ) {
        // Organisations named in the text, for "the report" and "the researchers" later.
        for ((s, _), runs) in sentences.iter().zip(orgs) {
            let st = s.span.slice(text);
            for &(start, end) in runs {
                if inside(&s.quotes, s.span.start + start) {
                    continue;
                }
                // (`trim_start` and the pattern's `\s` both take Unicode's White_Space.)
                if st[end..].trim_start().starts_with('(')
                    && let Some(c) = DEFINED_ACRONYM.get().captures(&st[end..])
                {
                    let name = strip_article(&st[start..end]);
                    if abbreviates(&c[1], name) && self.expand(&c[1]).is_none() {
                        self.acronyms.push((c[1].to_owned(), name.to_owned()));
                    }
                }
                let words: Vec<&str> = st[start..end].split_whitespace().collect();
                let head = words.last().map(|w| w.to_lowercase()).unwrap_or_default();
                if words.len() >= 2 && is_in(&GROUP_ROLES, &head) {
                    self.orgs.push((s.span.start + start, strip_article(&st[start..end]).to_owned()));
                }
            }
        }
        if self.people.is_empty() && know.people.is_empty() {
            return;
        }
        // Every capitalised word outside quotations that is a candidate's surname: where, whose,
        // whether it may be a subject, and in which sentence. Only candidates' surnames count,
        // so a word's key is made in one buffer and compared with theirs.
        let mut words: Vec<(usize, usize, bool, usize)> = Vec::with_capacity(text.len() / 80);
        let mut alone = vec![0usize; self.people.len()];
        let mut key = String::new();
        // A word's key starts with its first letter lower-cased (a capital letter is kept by
        // the fold), so a word whose ASCII first letter starts no candidate's surname is no
        // candidate's: most capitalised words are asked only that. (An empty key, which the
        // trimming of a lone "Y" leaves, starts with nothing and is always made.)
        let firsts = self.people.iter().fold(0u32, |m, p| match p.surname.bytes().next() {
            Some(b @ b'a'..=b'z') => m | 1 << (b - b'a'),
            _ => u32::MAX,
        });
        let may_be_surname = |w: &str| match w.bytes().next() {
            Some(b @ b'A'..=b'Z') => firsts & 1 << (b - b'A') != 0,
            _ => true,
        };
        // A surname alone of someone the rules know (`SPEAKERS.people`: "Putin") makes them a
        // candidate from that word on, unless someone of that surname is one already (named in
        // full: "Eric Trump"). An ASCII word whose letter starts no candidate's surname is
        // compared with the known keys as it stands before its key is made.
        let may_be_known = |t: &Tok<'_>| match t.text.bytes().next() {
            Some(b @ b'A'..=b'Z') => {
                know.people_firsts & 1 << (b - b'A') != 0 && {
                    let bare = t.bare_text();
                    let stem = bare.trim_end_matches('y').trim_end_matches('i');
                    know.people.iter().any(|(k, _)| k.len() == stem.len() && k.eq_ignore_ascii_case(stem))
                }
            }
            _ => !know.people.is_empty(),
        };
        for (n, ((s, _), sent)) in sentences.iter().zip(sents).enumerate() {
            let toks = &sent.toks;
            let main = main_clause(toks, &s.quotes);
            if let Some(t) = toks.get(main).filter(|_| main > 0) {
                self.main_clauses.push((n, t.span.start));
            }
            for (k, t) in toks.iter().enumerate() {
                if !t.is_cap() || !(may_be_surname(t.text) || may_be_known(t)) || inside(&s.quotes, t.span.start) {
                    continue;
                }
                t.surname_key_into(&mut key);
                let i = match self.people.iter().position(|p| p.surname == key) {
                    Some(i) => i,
                    None => {
                        let Some(full) = know.person(&key) else { continue };
                        let (name, surname, female) = (full.to_owned(), key.clone(), know.female_by_name(full));
                        let first_at = t.span.start;
                        self.people.push(Person { name, surname, first_at, roles: Vec::new(), full: 0, female });
                        alone.push(0);
                        self.people.len() - 1
                    }
                };
                alone[i] += 1;
                let after_prep = k > 0
                    && matches!(
                        &*toks[k - 1].lower(),
                        "of" | "to"
                            | "with"
                            | "by"
                            | "for"
                            | "from"
                            | "at"
                            | "in"
                            | "on"
                            | "against"
                            | "about"
                            | "than"
                    );
                words.push((t.span.start, i, (main..main + 8).contains(&k) && !after_prep, n));
            }
        }
        // A candidate is a person when named with a role, or by surname alone somewhere.
        let keep: Vec<bool> = self.people.iter().zip(&alone).map(|(p, &a)| !p.roles.is_empty() || a > p.full).collect();
        let mut index = Vec::with_capacity(keep.len());
        let mut kept = 0;
        for &k in &keep {
            index.push(kept);
            kept += usize::from(k);
        }
        let mut flags = keep.iter();
        self.people.retain(|_| flags.next().copied().unwrap_or(false));
        for &(at, i, subject, n) in &words {
            if keep[i] {
                self.mentions.push((at, index[i], n));
                if subject {
                    self.subjects.push((at, index[i], n));
                }
            }
        }
    }

    /// Who "he" or "she" at `at` (in sentence `now`) stands for: someone who has been the
    /// subject of a sentence since the last person spoke (`spoke`), else that speaker, else
    /// the person mentioned last; never someone a pronoun of the other gender stood for.
    ///
    /// Inside a clause (`in_clause`: "what he declared", "in which he said") the first person
    /// named as a subject earlier in the same sentence comes first.
    fn pronoun(
        &self,
        at: usize,
        now: usize,
        spoke: Option<((usize, usize), &str)>,
        female: Option<bool>,
        in_clause: bool,
    ) -> Option<usize> {
        let fits =
            |i: usize| self.people.get(i).is_some_and(|p| p.female.is_none() || female.is_none() || p.female == female);
        let since = spoke.map(|((n, _), _)| n);
        // The last speaker named in a subordinate clause gives way to the subject of the main
        // clause after it: "After Trump remarked that “...,” Carney fired back. “...,” he said."
        let main_after = spoke.and_then(|((n, at), _)| {
            let &(_, main) = self.main_clauses.iter().find(|&&(m, _)| m == n)?;
            (at < main).then_some(main)
        });
        let end = self.subjects.partition_point(|&(p, _, _)| p < at);
        // Someone named as a subject earlier in the same sentence: "Putin's key goals remain
        // what he declared", "Netanyahu was welcomed ..., in which he said". The first such
        // subject, as in "Trump told Zelensky that he would ...".
        if in_clause {
            let start = self.subjects[..end].partition_point(|&(_, _, n)| n < now);
            if let Some(p) = self.subjects[start..end].iter().map(|&(_, p, _)| p).find(|&p| fits(p)) {
                return Some(p);
            }
        }
        let subject = self.subjects[..end]
            .iter()
            .rev()
            .take_while(|&&(at, _, n)| since.is_none_or(|a| n > a || n == a && main_after.is_some_and(|m| at >= m)))
            .filter(|&&(_, _, n)| n < now)
            .map(|&(_, p, _)| p)
            .find(|&p| fits(p));
        let speaker =
            || spoke.and_then(|(_, name)| self.people.iter().position(|p| p.name == name)).filter(|&p| fits(p));
        let end = self.mentions.partition_point(|&(p, _, _)| p < at);
        let mentioned = || self.mentions[..end].iter().rev().map(|&(_, p, _)| p).find(|&p| fits(p));
        // Someone recent already known to be "she" beats someone of unknown gender (most people
        // quoted in news are men, so an unknown gender is a weak "he", not a weak "she").
        let known = || {
            if female != Some(true) {
                return None;
            }
            let recent: Vec<usize> = self.mentions[..end].iter().rev().map(|&(_, p, _)| p).take(12).collect();
            recent.into_iter().find(|&p| self.people.get(p).is_some_and(|x| x.female == female))
        };
        // The one person the sentence before names, when it names only one and nobody speaks
        // in it: "... something that President Lopez Obrador has been desperate to avoid.
        // “It is very painful,” he wrote".
        let before = || {
            let mut named = self.mentions[..end].iter().filter(|&&(_, _, n)| n + 1 == now).map(|&(_, p, _)| p);
            let first = named.next()?;
            let spoke_there = since.is_some_and(|a| a + 1 == now);
            (named.all(|p| p == first) && !spoke_there && fits(first)).then_some(first)
        };
        let pick = subject.or_else(before).or_else(speaker);
        // ... but not the one who spoke in the sentence just before: "Thornton Matheson ...
        // said that ... “...” However, she said, ..." is Matheson.
        let just_spoke = since.is_some_and(|a| a + 1 == now) && pick.is_some() && pick == speaker();
        match pick {
            Some(p) if just_spoke || self.people.get(p).is_some_and(|x| x.female.is_some()) => Some(p),
            _ => known().or(pick).or_else(mentioned),
        }
    }

    fn person_by_surname(&self, word: &str) -> Option<&Person> {
        let key = surname_key(word);
        self.people.iter().find(|p| p.surname == key)
    }

    fn group(&mut self, name: &str, at: usize) -> String {
        let lower = name.to_lowercase();
        // One name of two or more words followed by the other's qualifier: "General Staff of
        // the Armed Forces" is the "General Staff of the Armed Forces of Ukraine" named before.
        let qualifies = |short: &str, long: &str| {
            short.contains(' ')
                && long.strip_prefix(short).is_some_and(|rest| rest.starts_with(" of ") || rest.starts_with(" in "))
        };
        // One name the other's last words, with more words before them: "Foreign Ministry" and
        // "Russian Foreign Ministry"; but not the object of its qualifier, the "Ukraine" of
        // "General Staff of the Armed Forces of Ukraine".
        let heads = |short: &str, long: &str| {
            long.strip_suffix(short).and_then(|rest| rest.strip_suffix(' ')).is_some_and(|rest| {
                !rest.rsplit(' ').next().is_some_and(|w| matches!(w, "of" | "in" | "for" | "the" | "to" | "at" | "on"))
            })
        };
        if let Some((g, _)) = self.groups.iter().find(|(g, _)| {
            let gl = g.to_lowercase();
            gl == lower || heads(&lower, &gl) || heads(&gl, &lower) || qualifies(&lower, &gl) || qualifies(&gl, &lower)
        }) {
            // Keep the longest form seen ("Russian Foreign Ministry" over "Foreign Ministry").
            return if g.len() >= name.len() { g.clone() } else { name.to_owned() };
        }
        self.groups.push((name.to_owned(), at));
        name.to_owned()
    }
}

/// The token where the main clause of a sentence starts: after the comma that closes a clause
/// opened by a subordinating word among its first five words, outside quotations or closing
/// one (`after Trump remarked that “Canada lives ...,” Carney fired back`); else 0.
fn main_clause(toks: &[Tok<'_>], quotes: &[Span]) -> usize {
    // Words that open a clause before the main one: "After Trump remarked that ..., Carney
    // fired back", "When he first launched the invasion, Putin was expecting ...".
    let subordinates = |t: &Tok<'_>| {
        matches!(
            &*t.lower(),
            "after"
                | "when"
                | "while"
                | "since"
                | "before"
                | "although"
                | "though"
                | "because"
                | "despite"
                | "following"
                | "once"
                | "until"
                | "as"
                | "if"
                | "unless"
                | "whereas"
        )
    };
    let Some(opens) = toks.iter().take(5).position(subordinates) else { return 0 };
    let closes = |t: &Tok<'_>| {
        let at = t.span.start;
        !inside(quotes, at) || quotes.iter().any(|q| q.start <= at && at < q.end && q.end <= at + 4)
    };
    toks.iter().enumerate().skip(opens + 1).find(|(_, t)| t.text == "," && closes(t)).map_or(0, |(k, _)| k + 1)
}

/// What resolution remembers while walking the document.
#[derive(Debug, Default)]
struct Context {
    last_person: Option<String>,
    last_group: Option<String>,
    last_speaker: Option<(String, usize)>,
    /// Index of the sentence being read; the last one with a person speaking, and where in
    /// the text that person is named in it.
    sentence: usize,
    person_sentence: Option<(usize, usize)>,
    /// Index of the last sentence that made a claim.
    claim_sentence: Option<usize>,
    /// The name that signs the sentence being read: the next paragraph is only a dash and a
    /// name ("– Kostyantyn Mashovets"), as under a quotation set apart.
    signed_by: Option<Span>,
    /// Who "they" or "it" are in the sentence being read, when the sentence before made no
    /// claim and opened with them ("Police arrested two men. They said ...").
    pronoun_subject: Option<String>,
}

/// Roles that speak for an organisation rather than for themselves.
static SPOKES: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "spokesman", "spokeswoman", "spokesperson", "representative", "official", "officials", "spokespeople",
    ])
});

/// The organisation a spokesperson phrase names: "Nvidia spokesperson", "a spokesperson for
/// the Kremlin", "Kremlin spokesman".
fn spoken_for(phrase: &str) -> Option<String> {
    // ("U.S." is the title word "u.s", as "US" is "us".)
    let bare = |w: &str| w.trim_end_matches("'s").trim_end_matches("’s").trim_end_matches('.').to_lowercase();
    let caps: Vec<&str> = phrase
        .split_whitespace()
        .filter(|w| w.starts_with(char::is_uppercase) && !is_in(&DETERMINERS, &w.to_lowercase()))
        .collect();
    // Title words stay inside an institution's name ("Foreign Ministry", "White House") and go
    // before a person's title ("Deputy spokesman").
    let institution = caps.iter().any(|w| is_in(&ORG_WORDS, &bare(w)));
    let kept: Vec<&str> = caps.into_iter().filter(|w| institution || !is_in(&TITLES, &bare(w))).collect();
    // A possessive keeps its "'s" only inside the name: "Russia's Foreign Ministry", "Nvidia".
    let last = kept.len().checked_sub(1)?;
    Some(
        kept.iter()
            .enumerate()
            .map(|(i, w)| if i == last { w.trim_end_matches("'s").trim_end_matches("’s") } else { w })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Whether `word` reads as a nationality ("Russian", "Chinese", "Polish", "Israeli", "French")
/// rather than the name of an organisation or a place ("Nvidia", "Kremlin", "Iran", "Taliban").
fn is_demonym(word: &str) -> bool {
    let w = word.trim_end_matches('.');
    if w.contains(' ') || !w.starts_with(char::is_uppercase) || w.chars().count() < 4 {
        return false;
    }
    let lower = w.to_lowercase();
    ["ian", "ean", "ican", "ese", "ish", "ani", "eli", "aqi", "udi", "iti", "eni", "shi", "ari"]
        .iter()
        .any(|s| lower.ends_with(s))
        || matches!(&*lower, "german" | "french" | "dutch" | "czech" | "thai" | "swiss" | "greek")
}

/// Words before "states" that make it the noun: "member states", "Arab states", "all states".
static STATE_NOUN: LazyLock<WordSet> = LazyLock::new(|| {
    WordSet::from_iter([
        "member", "arab", "baltic", "gulf", "nato", "eu", "other", "several", "some", "many", "all", "these", "those",
        "both", "island", "nation", "frontline", "neighbouring", "neighboring", "sovereign", "african", "european",
        "muslim", "western", "small", "rogue", "client", "successor", "participating", "signatory", "united",
        "nuclear", "nordic", "two",
    ])
});

/// Cues that describe how someone acted rather than what they said.
const WEAK_CUES: &[&str] =
    &["lashed out", "lashes out", "responded", "replied", "welcomed", "welcomes", "praised", "agreed", "challenged"];

/// The noun phrase that opens a clause: its subject.
fn leading_np(toks: &[Tok<'_>], text: &str, know: &SpeakerKnowledge) -> Option<Mention> {
    // "On Dec. 8, Federal prosecutors in Texas unsealed ...": a date before the subject.
    let date_word = |t: &Tok<'_>| {
        is_in(&TIME_WORDS, &t.bare())
            || t.text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
            || matches!(
                &*t.lower(),
                "the" | "this" | "last" | "week" | "month" | "year" | "morning" | "evening" | "night"
            )
    };
    let toks = match toks.iter().take(6).position(|t| t.text == ",") {
        Some(comma)
            if comma > 1
                && matches!(&*toks[0].lower(), "on" | "in" | "last" | "late" | "early")
                && toks[1..comma].iter().all(date_word) =>
        {
            &toks[comma + 1..]
        }
        _ => toks,
    };
    let mut end = 0;
    while end < toks.len() && end < 10 {
        let t = toks[end];
        let l = t.lower();
        // Lowercase words between an opening article and the first role noun or name.
        let after_article = end > 0
            && end < 4
            && is_in(&DETERMINERS, &toks[0].lower())
            && !is_in(&DETERMINERS, &l)
            && toks[1..end].iter().all(|p| !p.is_cap() && !is_role(&p.bare(), know));
        let ok = t.is_cap() && !(end == 0 && is_in(&STOP, &l))
            || is_in(&DETERMINERS, &l) && end == 0
            // "The tax office released ...": lowercase words of a phrase opened by an article.
            || (after_article && t.text.chars().all(char::is_lowercase) && !is_in(&STOP, &l) && !is_in(&FILLER, &l))
            || is_in(&PRONOUNS, &l) && end == 0
            || is_role(&t.bare(), know)
            || t.is_possessive()
            || (end > 0 && matches!(&*l, "of" | "for"));
        if !ok || t.is_punct() {
            break;
        }
        end += 1;
    }
    if end == 0 {
        return None;
    }
    np_before(&toks[..end], text, 0, know)
}

/// What [`find`] found, and how much of the text it read before the deadline.
#[derive(Debug, Default)]
pub struct Finding {
    /// The claims, in text order.
    pub found: Vec<Found>,
    /// Sentences in the kept text.
    pub sentences: usize,
    /// Sentences left unread because the deadline passed (0 normally).
    pub unread: usize,
}

/// Finds the claims in the kept `pieces` (spans of `text`, each within one paragraph, with
/// its paragraph index). Stops at the sandbox deadline (see [`crate::sandbox::DeadlineGuard`])
/// and says how many sentences it did not read.
pub fn find(text: &str, pieces: &[(Span, usize)], know: &SpeakerKnowledge) -> Finding {
    // About one sentence per 150 bytes of news prose: most documents need no second allocation.
    let kept: usize = pieces.iter().map(|(p, _)| p.end.saturating_sub(p.start)).sum();
    let mut sentences: Vec<(Sentence, usize)> = Vec::with_capacity(kept / 150 + pieces.len());
    for (piece, para) in joined(text, pieces) {
        for s in sentences::split(piece.slice(text), piece.start) {
            sentences.push((s, para));
        }
    }
    // Each sentence lower-cased once, into one buffer: only the kept text, and a character
    // that cannot be lower-cased in place costs only its own sentence the shared lower case.
    let mut lower = String::with_capacity(kept);
    let ranges: Vec<_> = sentences.iter().map(|(s, _)| lower_into(s.span.slice(text), &mut lower)).collect();
    let sents: Vec<Sent<'_>> = sentences
        .iter()
        .zip(ranges)
        .map(|((s, _), r)| Sent::new(s.span.slice(text), r.and_then(|r| lower.get(r)), s.span.start))
        .collect();
    let mut reg = Registry::default();
    // Each sentence's names and organisations, found in one pass over its capitals.
    let mut orgs: Vec<Runs> = Vec::with_capacity(sents.len());
    for sent in &sents {
        let (names, sent_orgs) = crate::names::name_and_org_runs(sent.text);
        reg.scan(sent, &names, text, know);
        orgs.push(sent_orgs);
    }
    reg.finish(text, &sentences, &sents, &orgs, know);
    let mut ctx = Context::default();
    let mut out: Vec<(Found, usize)> = Vec::with_capacity(sentences.len().min(64));
    let mut unread = 0;
    for (i, ((s, para), sent)) in sentences.iter().zip(&sents).enumerate() {
        if crate::sandbox::past_deadline() {
            unread = sentences.len() - i;
            break;
        }
        ctx.sentence = i;
        // The sentence before, when it made no claim (in this paragraph or the one before):
        // whom it opened with is who "they" or "it" may be here.
        let unclaimed = i
            .checked_sub(1)
            .filter(|&j| ctx.claim_sentence != Some(j) && sentences.get(j).is_some_and(|(_, p)| p + 1 >= *para))
            .and_then(|j| sents.get(j));
        ctx.signed_by = sentences
            .get(i + 1)
            .filter(|(next, p)| *p == para + 1 && next.span.start >= s.span.end)
            .and_then(|(next, _)| signature(text, next.span));
        let Some(f) = claim_in(text, s, sent, unclaimed, *para, &mut reg, &mut ctx, know) else { continue };
        ctx.claim_sentence = Some(i);
        // A quotation that goes on in the same paragraph belongs to the claim before it.
        if f.cue.is_empty()
            && let Some((prev, prev_para)) = out.last_mut()
            && *prev_para == *para
            && prev.canonical == f.canonical
        {
            prev.span.end = f.span.end;
            if prev.form == ClaimForm::Indirect {
                prev.form = ClaimForm::Mixed;
            }
            continue;
        }
        out.push((f, *para));
    }
    Finding { found: out.into_iter().map(|(f, _)| f).collect(), sentences: sentences.len(), unread }
}

/// The kept pieces with a sentence that the scrape broke over lines at its links put back
/// together: a piece that stops mid-sentence ("..., Zelenskyy") and the next kept piece, right
/// after it with nothing removed between, that goes on in lower case ("wrote" / "on social
/// media ..."). The joined piece keeps the first one's paragraph.
fn joined(text: &str, pieces: &[(Span, usize)]) -> Vec<(Span, usize)> {
    let mut out: Vec<(Span, usize)> = Vec::with_capacity(pieces.len());
    for &(piece, para) in pieces {
        if let Some((last, _)) = out.last_mut()
            && text.get(last.end..piece.start).is_some_and(|gap| gap.trim().is_empty())
            && text
                .get(last.start..last.end)
                .and_then(|t| t.chars().next_back())
                .is_some_and(|c| c.is_alphanumeric() || c == ',')
            && piece.slice(text).chars().next().is_some_and(char::is_lowercase)
        {
            last.end = piece.end;
            continue;
        }
        out.push((piece, para));
    }
    out
}

/// Whether `at` lies in one of `quotes` (in text order, not overlapping).
fn inside(quotes: &[Span], at: usize) -> bool {
    quotes.get(quotes.partition_point(|q| q.end <= at)).is_some_and(|q| q.start <= at)
}

/// How far before and after a cue its speaker is looked for, in bytes. Real attributions sit
/// well within it; the bound keeps a run-on "sentence" of a megabyte (a scrape with no
/// punctuation) linear in its cues instead of quadratic.
const CUE_WINDOW: usize = 600;

/// The largest char boundary of `s` at or before `at`.
fn floor_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Letters and digits in `s` (`char::is_alphanumeric`), counted several times per claim. The
/// ASCII ones are counted eight bytes at a time (see [`swar`]: no byte of a wider character
/// passes the test); only the wider characters, a few quotation marks and dashes in most
/// claims, are decoded.
fn letters(s: &str) -> usize {
    let bytes = s.as_bytes();
    let alnum = |x: u64| swar::ascii_letters(x) | swar::ascii_in(x, b'0', b'9');
    // The high bits of a mask of eight bytes, counted: each is 1 after the shift, and the
    // multiplication adds the eight bytes into the top one.
    let count = |m: u64| ((m >> 7).wrapping_mul(swar::splat(1)) >> 56) as usize;
    let mut ascii = 0;
    let mut wide_bytes = 0u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        ascii += count(alnum(x));
        wide_bytes |= x;
    }
    let mut last = 0u64;
    for (i, &b) in chunks.remainder().iter().enumerate() {
        last |= u64::from(b) << (8 * i);
    }
    // Zero bytes past the end count as nothing.
    ascii += count(alnum(last));
    if (wide_bytes | last) & swar::HIGH == 0 {
        return ascii;
    }
    // Blocks of 16 bytes that are all ASCII are passed over at once.
    let mut wide = 0;
    for (k, block) in bytes.chunks(16).enumerate() {
        if block.is_ascii() {
            continue;
        }
        for (j, &b) in block.iter().enumerate() {
            let at = k * 16 + j;
            if b >= 0xc0 && s.get(at..).and_then(|t| t.chars().next()).is_some_and(char::is_alphanumeric) {
                wide += 1;
            }
        }
    }
    ascii + wide
}

#[allow(clippy::too_many_arguments)]
fn claim_in(
    text: &str,
    s: &Sentence,
    sent: &Sent<'_>,
    unclaimed: Option<&Sent<'_>>,
    para: usize,
    reg: &mut Registry,
    ctx: &mut Context,
    know: &SpeakerKnowledge,
) -> Option<Found> {
    let st = s.span.slice(text);
    if st.contains("omment") && !st.contains(['"', '“', '«']) && NO_COMMENT.get().is_match(st) {
        return None;
    }
    let base = s.span.start;
    let mut attributions: Vec<(Span, Mention, String)> = Vec::new();
    for m in cues(st) {
        let cue = Span::new(base + m.start, base + m.end);
        if inside(&s.quotes, cue.start) {
            continue;
        }
        // The cue lower-cased: a slice of the sentence's lower case when there is one.
        let word = sent
            .lower
            .and_then(|l| l.get(m.clone()))
            .map_or_else(|| Cow::Owned(st[m.clone()].to_lowercase()), Cow::Borrowed);
        let word = &*word;
        if st[m.clone()].starts_with(char::is_uppercase) && !st[..m.start].trim().is_empty() {
            continue;
        }
        // "the men charged were quick to ...": a participle describing someone, not a cue;
        // and "a widely rejected peace plan", "the much-criticised law", "an unconfirmed
        // report": one describing something, after an article and maybe an adverb.
        if word.ends_with("ed") && word != "said" {
            let next = st[m.end..].split_whitespace().next().unwrap_or("");
            if matches!(next, "was" | "were" | "is" | "are") {
                continue;
            }
            let mut before = st[..m.start].split_whitespace().rev();
            let (w1, w2) = (before.next().unwrap_or(""), before.next().unwrap_or(""));
            let article = |w: &str| matches!(w, "a" | "an" | "the" | "A" | "An" | "The");
            if article(w1) || (article(w2) && (w1.ends_with("ly") || w1.contains('-'))) {
                continue;
            }
        }
        // "The talks concluded on Friday" ends something; only after a quotation does it
        // attribute: "“... a much bigger problem,” the researchers concluded."
        if word == "concluded"
            && !(st[m.end..].trim_start().starts_with(['.', ',', ';'])
                && s.quotes.first().is_some_and(|q| q.end <= cue.start))
        {
            continue;
        }
        // "He read the report" is reading; a text that "read" what a quotation says speaks:
        // "“...,” the statement read.", "The letter reads: “...”" (but not a sign or a banner).
        if matches!(word, "read" | "reads") {
            let text = st[..m.start].split_whitespace().next_back().is_some_and(|w| {
                matches!(
                    &*lowercase(w),
                    "statement"
                        | "letter"
                        | "message"
                        | "post"
                        | "note"
                        | "text"
                        | "communique"
                        | "communiqué"
                        | "release"
                        | "tweet"
                        | "document"
                        | "memo"
                        | "notice"
                        | "declaration"
                        | "resolution"
                )
            });
            if !(text && st[m.end..].trim_start().starts_with(['.', ',', ';', ':']) && !s.quotes.is_empty()) {
                continue;
            }
        }
        // "The video shows a man ...": showing is no statement, except in "As the latest
        // report from the Kiel Institute shows, ..." ("shows that" is a cue of its own).
        if matches!(word, "shows" | "showed") && !(st.starts_with("As ") && st[m.end..].starts_with(',')) {
            continue;
        }
        // "because it promises computing speeds far faster": a thing that promises something
        // holds it out; someone promises to do it, or that it will be.
        if matches!(word, "promises" | "promised")
            && st[..m.start].split_whitespace().next_back().is_some_and(|w| w.eq_ignore_ascii_case("it"))
            && !matches!(st[m.end..].split_whitespace().next(), Some("to" | "that"))
        {
            continue;
        }
        // "he posted a video showing ...": posting pictures is no statement ("posted on X
        // that ..." is).
        if word == "posted"
            && st[m.end..].split_whitespace().take(2).any(|w| {
                matches!(
                    w.trim_end_matches([',', '.']),
                    "video"
                        | "videos"
                        | "photo"
                        | "photos"
                        | "footage"
                        | "image"
                        | "images"
                        | "picture"
                        | "pictures"
                        | "clip"
                )
            })
        {
            continue;
        }
        // "so-called", "a provider, called Asiaciti,", "Called Workplace, it ...": naming, not
        // speech.
        if word.starts_with("call") && !word.contains(' ') {
            let prev = st[..m.start].trim_end();
            // "called Asiaciti", "called the “Made in America” tax plan".
            let next = st[m.end..].trim_start();
            let next = next.strip_prefix("the ").unwrap_or(next);
            let names_next = next.trim_start_matches(['"', '“', '‘', '\'', '«']).starts_with(char::is_uppercase);
            if prev.is_empty() || prev.ends_with('-') || (prev.ends_with(',') && names_next) {
                continue;
            }
        }
        // "agreed on a loan package", "responded to plummeting temperatures with ...": an act,
        // not words, unless a quotation says what was agreed ("agreed to “consult closely”").
        // The same for "wrote to every operator" (but not "wrote to them that ...").
        if matches!(word, "agreed" | "responded" | "replied" | "wrote") {
            let rest = &st[m.end..];
            let quoted = rest.contains(['"', '“', '«']);
            match rest.split_whitespace().next().unwrap_or("") {
                "on" if word != "wrote" => continue,
                "to" if !quoted && (word != "wrote" || !rest.contains(" that ")) => continue,
                _ => {}
            }
        }
        // "member states that ...": the noun. Only "states that" is a cue, and not after a
        // word that makes it the noun.
        if word.starts_with("states")
            && st[..m.start].split_whitespace().next_back().is_some_and(|w| is_in(&STATE_NOUN, &lowercase(w)))
        {
            continue;
        }
        // The clause before the cue, from the last quotation or clause break, and at most
        // CUE_WINDOW back (from a word start).
        let window = match floor_boundary(st, m.start.saturating_sub(CUE_WINDOW)) {
            0 => 0,
            w => st[w..].find(char::is_whitespace).map_or(m.start, |p| w + p),
        };
        let clause_from = s.quotes[..s.quotes.partition_point(|q| q.end <= cue.start)]
            .last()
            .map(|q| q.end)
            .into_iter()
            .chain(
                // ASCII marks: found by bytes, from the end.
                memchr::memrchr2(b';', b':', st.as_bytes().get(window..m.start).unwrap_or_default())
                    .map(|p| base + window + p + 1),
            )
            .max()
            .unwrap_or(base)
            .max(base + window);
        let pre = text.get(clause_from..cue.start).unwrap_or("");
        // A participle belongs to the clause's subject: "The ATO released a statement saying".
        let participle = word.ends_with("ing") || word.starts_with("calling");
        let mention = if word.starts_with("according") {
            None
        } else if participle {
            let toks = sent.between(clause_from, cue.start);
            leading_np(&toks, text, know).filter(|m| m.span.end < cue.start)
        } else {
            subject_before(sent, clause_from, cue.start, text, know)
                .or_else(|| relative_subject(sent, clause_from, cue.start, text, know))
        };
        let mention = mention.or_else(|| {
            // Inverted: `," said Lavrov` or "according to the ministry"; and the passive "As
            // reported by the General Staff, ...".
            let by = st[m.end..].trim_start().starts_with("by ");
            let as_reported = by && pre.trim().eq_ignore_ascii_case("as");
            let inverted =
                word.starts_with("according") || pre.trim().is_empty() || pre.trim_end().ends_with(',') || as_reported;
            if !inverted {
                return None;
            }
            let toks = sent.between(cue.end, base + floor_boundary(st, m.end + CUE_WINDOW));
            let toks = if by { toks.get(1..).unwrap_or_default() } else { &toks[..] };
            np_after(toks, text, 0, know)
        });
        // A second verb of the sentence's subject: "Blinken snubbed a meeting and instead
        // accused Russia ...", "He did not give a reason but suggested ...".
        let mention = mention.or_else(|| {
            let toks = sent.between(clause_from, cue.start);
            let last = toks.iter().rev().find(|t| !is_in(&FILLER, &t.lower()))?;
            if !matches!(&*last.lower(), "and" | "but") {
                return None;
            }
            leading_np(&toks, text, know)
        });
        if let Some(mn) = mention {
            attributions.push((cue, mn, word.to_owned()));
        }
    }
    // A cue that reports an action rather than words ("lashed out at criticism") gives way
    // to the attribution that closes the sentence: "..., the EU's top diplomat said."
    if attributions.len() > 1 && attributions.first().is_some_and(|a| WEAK_CUES.contains(&a.2.as_str())) {
        attributions.remove(0);
    }
    let attributions: Vec<(Span, Mention)> = attributions.into_iter().map(|(c, m, _)| (c, m)).collect();

    // Letters in quotations and in the whole sentence (counted only where they decide).
    let quoted = || -> usize { s.quotes.iter().map(|q| letters(q.slice(text))).sum() };
    let total = || letters(st).max(1);
    let starts_quoted = s.quotes.first().is_some_and(|q| q.start == base);

    let Some((cue, mention)) = attributions.first().cloned() else {
        // A quotation set apart and signed on the line under it ("– Kostyantyn Mashovets") is
        // the signer's.
        if let Some(sig) = ctx.signed_by
            && starts_quoted
            && quoted() * 10 >= total() * 7
        {
            let toks = tokens(sig.slice(text), None, sig.start);
            let m = np_before(&toks, text, 0, know).filter(|m| m.kind == Kind::Name)?;
            let canonical = resolve(&m, reg, ctx, know);
            ctx.last_person = Some(canonical.clone());
            ctx.last_speaker = Some((canonical.clone(), para));
            return Some(Found {
                span: s.span,
                mention: Some(m.span),
                canonical,
                cue: String::new(),
                cue_span: None,
                form: ClaimForm::Direct,
                source: None,
            });
        }
        // A quotation with no attribution of its own continues the last speaker's words.
        let (speaker, at_para) = ctx.last_speaker.clone()?;
        let continued = |form| Found {
            span: s.span,
            mention: None,
            canonical: speaker.clone(),
            cue: String::new(),
            cue_span: None,
            form,
            source: None,
        };
        if starts_quoted && para <= at_para + 1 && quoted() * 10 >= total() * 7 {
            let found = continued(ClaimForm::Direct);
            ctx.last_speaker = Some((speaker, para));
            return Some(found);
        }
        // Reported speech that goes on in the next sentence of the paragraph, quoting the
        // speaker again and opening with a word that points back: "..., says Pradhan. That
        // would have helped ensure that the council doesn't miss “obvious warning signs”,
        // such as ...". A quoted word is often the outlet's own scare quotes, and a quoted
        // name (“Dry Feet”) is a name, so it takes words of two or more, one in lower case.
        let follows = para == at_para && ctx.claim_sentence.is_some_and(|c| c + 1 == ctx.sentence);
        let points_back = st.split_whitespace().next().is_some_and(|w| is_in(&POINTS_BACK, &lowercase(w)));
        let words_quoted = |q: &Span| {
            let mut words = q.slice(text).split_whitespace();
            words.clone().nth(1).is_some()
                && words.any(|w| w.chars().find(|c| c.is_alphabetic()).is_some_and(char::is_lowercase))
        };
        return (follows && points_back && s.quotes.iter().any(words_quoted)).then(|| continued(ClaimForm::Mixed));
    };
    ctx.pronoun_subject = unclaimed
        .filter(|_| mention.kind == Kind::GroupPronoun)
        .and_then(|prev| pronoun_subject(&lowercase(&mention.head), prev, text, reg, ctx, know));
    let canonical = resolve(&mention, reg, ctx, know);
    // A pronoun with nobody to stand for says nothing about who spoke.
    if matches!(mention.kind, Kind::PersonPronoun | Kind::GroupPronoun) && canonical == mention.name {
        return None;
    }
    let source = attributions.iter().skip(1).find_map(|(_, m)| {
        let c = resolve_quiet(m, reg, ctx, know);
        (c != canonical).then_some((m.span, c))
    });

    // The statement's own words: the sentence without its attributions (counted only when
    // the sentence quotes: without quotations the claim is reported speech whatever they are).
    let content = || {
        let attr_letters: usize = attributions
            .iter()
            .map(|(c, m)| letters(Span::new(m.span.start.min(c.start), m.span.end.max(c.end)).slice(text)))
            .sum();
        total().saturating_sub(attr_letters).max(1)
    };
    let after_colon = s.quotes.first().is_some_and(|q| {
        let between = text.get(cue.end.max(mention.span.end)..q.start).unwrap_or("x");
        between.trim() == ":" || between.trim() == ","
    });
    // `"...," X said (in an interview).` is a quotation with its attribution after it;
    // `X said: "..."` one with its attribution before it. Reported speech that quotes only
    // some of its words is mixed.
    let tail_reports = |from: usize| {
        let tail = text.get(from..s.span.end).unwrap_or("");
        REPORTING_TAIL.get().is_match(tail)
    };
    let attribution_after_quote = starts_quoted && s.quotes.first().is_some_and(|q| cue.start >= q.end);
    // `Peskov told reporters: "..."`, `In a post on X, Musk wrote: "..."`: after a colon a
    // quotation that runs to the sentence's end is the whole statement, whatever went before.
    let colon_quote = s.quotes.first().is_some_and(|q| {
        let between = text.get(cue.end.max(mention.span.end)..q.start).unwrap_or("x").trim();
        between.ends_with(':') && between.split_whitespace().count() <= 6 && !between.contains(['"', '“', '”', '«'])
    }) && s
        .quotes
        .last()
        .is_some_and(|q| text.get(q.end..s.span.end).is_some_and(|rest| !rest.chars().any(char::is_alphanumeric)));
    let (quoted, content) = if s.quotes.is_empty() { (0, 1) } else { (quoted(), content()) };
    let form = if colon_quote {
        ClaimForm::Direct
    } else if s.quotes.is_empty() || quoted * 10 < content {
        if s.quotes.is_empty() { ClaimForm::Indirect } else { ClaimForm::Mixed }
    } else if (attribution_after_quote && !tail_reports(cue.end))
        || ((starts_quoted || after_colon) && quoted * 10 >= content * 7)
    {
        ClaimForm::Direct
    } else {
        ClaimForm::Mixed
    };

    let known = reg.person_by_surname(&canonical).is_some_and(|p| p.name == canonical);
    // "Mr Day", "Ms Roe": a person, and the title says which pronoun stands for them.
    let titled = (mention.kind == Kind::Name)
        .then(|| match mention.span.slice(text).split_whitespace().next().map(|w| w.trim_end_matches('.')) {
            Some("Mr") => Some(false),
            Some("Mrs" | "Ms" | "Miss") => Some(true),
            _ => None,
        })
        .flatten();
    let person_shaped = mention.kind == Kind::Name
        && (canonical.split_whitespace().count() >= 2 || titled.is_some())
        && !canonical.split_whitespace().any(|w| is_in(&ORG_WORDS, &w.to_lowercase()));
    if known || person_shaped {
        if !known {
            // A speaker named only once ("Daniel Bunn, vice president ..., warned") is still
            // who "he" means in the next sentence.
            reg.people.push(Person {
                name: canonical.clone(),
                surname: surname_key(&canonical),
                first_at: mention.span.start,
                roles: mention.roles.clone(),
                full: 1,
                female: titled.or_else(|| know.female_by_name(&canonical)),
            });
            let idx = reg.people.len() - 1;
            let at = reg.mentions.partition_point(|&(p, _, _)| p < mention.span.start);
            reg.mentions.insert(at, (mention.span.start, idx, ctx.sentence));
            let at = reg.subjects.partition_point(|&(p, _, _)| p < mention.span.start);
            reg.subjects.insert(at, (mention.span.start, idx, ctx.sentence));
        }
        ctx.last_person = Some(canonical.clone());
        ctx.person_sentence = Some((ctx.sentence, mention.span.start));
    } else if mention.kind == Kind::PersonRole {
        // "the spokesperson" with no name is still who "she" means next.
        ctx.last_person = Some(canonical.clone());
        ctx.person_sentence = Some((ctx.sentence, mention.span.start));
    } else if mention.kind != Kind::PersonPronoun {
        ctx.last_group = Some(canonical.clone());
    }
    // An outer source that is an organisation is what "it" and "the ministry" mean next; a
    // person reporting ("According to the secretary, ... Strukov said") is no organisation.
    if let Some((_, src)) = &source
        && !reg.people.iter().any(|p| p.name == *src)
    {
        ctx.last_group = Some(src.clone());
    }
    ctx.last_speaker = Some((canonical.clone(), para));
    Some(Found {
        span: s.span,
        mention: Some(mention.span),
        canonical,
        cue: cue.slice(text).to_owned(),
        cue_span: Some(cue),
        form,
        source,
    })
}

/// The subject just before a cue, taking appositives into account:
/// "Anthony Megrant, chief architect for Google Quantum AI, said" and
/// "the Russian ambassador to Warsaw, Sergey Andreev, condemned".
fn subject_before(sent: &Sent<'_>, base: usize, to: usize, text: &str, know: &SpeakerKnowledge) -> Option<Mention> {
    let pre = text.get(base..to).unwrap_or("");
    let trimmed = pre.trim_end();
    // A parenthetical between dashes or brackets: "Marco Rubio -- who was not there -- said".
    for (open, close) in [("--", "--"), ("—", "—"), ("–", "–"), ("(", ")")] {
        if let Some(body) = trimmed.strip_suffix(close)
            && let Some(at) = body.rfind(open)
            && at > 0
        {
            return subject_before(sent, base, base + at, text, know);
        }
    }
    // "Google (GOOGL.O) on Monday said", "The FSB (the security service) earlier said": the
    // same, with a time phrase or adverbs between the parenthetical and the cue.
    if let Some(close) = trimmed.rfind(')')
        && let Some(open) = trimmed[..close].rfind('(')
        && open > 0
    {
        // (A link's note for screen readers may follow the ticker: "Google (GOOGL.O), opens
        // new tab on Monday said".)
        let tail = &trimmed[close + 1..];
        let noted = [", opens new tab", ", opens in new tab", ", opens in a new tab", ", opens in a new window"]
            .iter()
            .find_map(|note| tail.strip_prefix(note));
        let tail = noted.unwrap_or(tail);
        let timely = |w: &str| {
            let l = lowercase(w.trim_end_matches(','));
            is_in(&TIME_WORDS, &l) || is_in(&FILLER, &l) || matches!(&*l, "on" | "in" | "at")
        };
        if (noted.is_some() || !tail.trim().is_empty()) && tail.split_whitespace().all(timely) {
            return subject_before(sent, base, base + open, text, know);
        }
    }
    // "The prosecutor, Jane Doe, had requested": the appositive is still the subject when
    // auxiliaries and adverbs stand between it and the cue.
    let mut bare = trimmed;
    while let Some((head, last)) = bare.rsplit_once(char::is_whitespace)
        && is_in(&FILLER, &lowercase(last))
    {
        bare = head.trim_end();
    }
    if bare.len() < trimmed.len() && bare.ends_with(',') {
        return subject_before(sent, base, base + bare.len(), text, know);
    }
    if let Some(body) = trimmed.strip_suffix(',') {
        let cut = body.rfind(',')?;
        let (p, x) = (&body[..cut], &body[cut + 1..]);
        let xt = sent.between(base + cut + 1, base + body.len());
        // "Tran Thi Mai, 45, a rice farmer,": the age is set off too.
        let age = p.rsplit_once(',').filter(|(_, a)| {
            a.trim().len() <= 3 && !a.trim().is_empty() && a.trim().bytes().all(|b| b.is_ascii_digit())
        });
        let pt = sent.between(base, base + age.map_or(cut, |(name, _)| name.len()));
        let xm = np_before(&xt, text, 0, know);
        // The appositive must be the whole segment to be the subject.
        if let Some(xm) = xm.filter(|m| {
            m.kind == Kind::Name
                && m.name.split_whitespace().count() >= 2
                && m.span.start == xt.first().map_or(0, |t| t.span.start)
        }) {
            let mut xm = xm;
            // "The Russian ambassador to Warsaw, Sergey Andreev,": the role is part of the mention.
            let seg = p.rfind(',').map_or(0, |c| c + 1);
            let seg_toks = sent.between(base + seg, base + cut);
            if seg_toks.iter().any(|t| is_in(&PERSON_ROLES, &t.bare()))
                && let Some(first) = seg_toks.first()
            {
                xm.span.start = first.span.start;
            }
            return Some(xm);
        }
        // "The letter, signed by 40 lawmakers, said": its writers speak through it.
        if let [verb, by, rest @ ..] = &xt[..]
            && by.lower() == "by"
            && matches!(
                &*verb.lower(),
                "signed" | "co-signed" | "written" | "sent" | "authored" | "drafted" | "penned" | "issued"
            )
            && let Some(mut author) = np_before(rest, text, 0, know)
            // (Only an article or a number may come before it: "by 40 lawmakers".)
            && rest.iter().take_while(|t| t.span.start < author.span.start).all(|t| {
                is_in(&DETERMINERS, &t.lower()) || t.text.chars().all(|c| c.is_ascii_digit() || c == ',')
            })
        {
            author.span.start = author.span.start.min(rest.first().map_or(author.span.start, |t| t.span.start));
            return Some(author);
        }
        // "China, however, stressed": a discourse word, not an appositive.
        let discourse =
            xt.len() == 1 && matches!(&*xt[0].lower(), "however" | "meanwhile" | "though" | "too" | "also" | "instead");
        let mut pm = np_before(&pt, text, 0, know)?;
        if matches!(pm.kind, Kind::PersonPronoun | Kind::GroupPronoun) && !x.trim().is_empty() && !discourse {
            return None;
        }
        if !discourse {
            pm.span.end = base + body.len();
        }
        return Some(pm);
    }
    let toks = sent.between(base, to);
    // Discourse words set off by commas: "China, however, stressed".
    let mut toks = &toks[..];
    while let Some(last) = toks.last() {
        if last.is_punct() || matches!(&*last.lower(), "however" | "meanwhile" | "though" | "too" | "in" | "turn") {
            toks = &toks[..toks.len() - 1];
        } else {
            break;
        }
    }
    np_before(toks, text, 0, know)
}

/// Whether the organisation `named` can be what "the `noun`" stands for: "the ministry" is the
/// Russian Foreign Ministry named before, but not Nvidia; "the company" is Nvidia, not Russia;
/// "the government" is Russia. Nouns of no known kind fit any organisation.
fn fits(noun: &str, named: &str, know: &SpeakerKnowledge) -> bool {
    let lower = named.to_lowercase();
    if lower.split_whitespace().any(|w| w == noun) {
        return true;
    }
    // People ("Officials", "Scientists", "Police") are no organisation.
    let last = lower.split_whitespace().next_back().unwrap_or("");
    if last == "police" || (last.ends_with('s') && is_in(&GROUP_ROLES, last)) {
        return false;
    }
    let state = know.aliases.values().any(|v| v.eq_ignore_ascii_case(named))
        || ["ministry", "government", "department", "office", "embassy", "agency", "kremlin", "administration"]
            .iter()
            .any(|w| lower.contains(w));
    match noun {
        "company" | "firm" | "startup" | "maker" | "manufacturer" | "airline" | "bank" | "developer" | "operator" => {
            !state
        }
        "government" | "administration" | "presidency" | "regime" | "cabinet" | "country" | "state" => state,
        "ministry" | "department" | "embassy" | "office" => false,
        _ => true,
    }
}

/// The subject before a relative clause that runs to the cue, when [`subject_before`] found
/// none: "A soldier who asked not to be named said", "a soldier in the Donetsk region, who
/// asked to be identified by his call sign, Grizzly, said".
fn relative_subject(sent: &Sent<'_>, base: usize, to: usize, text: &str, know: &SpeakerKnowledge) -> Option<Mention> {
    let toks = sent.between(base, to);
    let at = toks.iter().position(|t| matches!(&*t.lower(), "who" | "whose"))?;
    // The clause has a verb of its own: in "Suu Kyi, who was once called a beacon", the cue
    // is the clause's.
    let own_verb = toks[at + 1..].iter().any(|t| {
        let l = t.lower();
        !t.is_punct()
            && !is_in(&FILLER, &l)
            && !matches!(&*l, "was" | "were" | "is" | "are" | "has" | "have" | "had" | "been" | "be" | "once" | "not")
    });
    if !own_verb {
        return None;
    }
    let end = if at > 0 && toks[at - 1].text == "," { at - 1 } else { at };
    np_before(&toks[..end], text, 0, know).filter(|m| matches!(m.kind, Kind::Name | Kind::PersonRole | Kind::GroupRole))
}

/// The person named with a title whose possessive a phrase holds: "Defence Minister Rustem
/// Umerov's spokeswoman" is Rustem Umerov's.
fn titled_owner(phrase: &str, know: &SpeakerKnowledge) -> Option<String> {
    let words: Vec<&str> = phrase.split_whitespace().collect();
    let owner = words.iter().position(|w| w.ends_with("'s") || w.ends_with("’s"))?;
    let title = words[..owner].iter().rposition(|w| is_person_title(&lowercase(w), know))?;
    let name = &words[title + 1..=owner];
    if !name.iter().all(|w| w.starts_with(char::is_uppercase)) {
        return None;
    }
    Some(name.join(" ").trim_end_matches("'s").trim_end_matches("’s").to_owned())
}

fn resolve_quiet(m: &Mention, reg: &mut Registry, ctx: &Context, know: &SpeakerKnowledge) -> String {
    let mut scratch = Context {
        last_person: ctx.last_person.clone(),
        last_group: ctx.last_group.clone(),
        last_speaker: None,
        sentence: ctx.sentence,
        person_sentence: ctx.person_sentence,
        claim_sentence: ctx.claim_sentence,
        pronoun_subject: ctx.pronoun_subject.clone(),
        signed_by: ctx.signed_by,
    };
    resolve(m, reg, &mut scratch, know)
}

/// The canonical name a mention stands for in this document.
fn resolve(m: &Mention, reg: &mut Registry, ctx: &mut Context, know: &SpeakerKnowledge) -> String {
    let alias = |s: &str| know.aliases.get(&s.to_lowercase()).cloned();
    match m.kind {
        Kind::Name | Kind::Group => {
            let name = without_common_nouns(&m.name);
            if let Some(a) = alias(name) {
                return a;
            }
            if let Some(full) = reg.expand(strip_article(name)) {
                let full = full.to_owned();
                return reg.group(&full, m.span.start);
            }
            let words = name.split_whitespace().count();
            if let Some(p) = reg.person_by_surname(name)
                && (m.kind == Kind::Name)
                && (words >= 2 || !reg.groups.iter().any(|(g, _)| g.eq_ignore_ascii_case(name)))
            {
                return p.name.clone();
            }
            if m.kind == Kind::Name && words >= 2 {
                return name.to_owned();
            }
            match know.of_state(name) {
                Some(name) => reg.group(&name, m.span.start),
                None => reg.group(name, m.span.start),
            }
        }
        Kind::PersonPronoun => {
            let female = match m.head.as_str() {
                "she" => Some(true),
                "he" => Some(false),
                _ => None,
            };
            let spoke = ctx.person_sentence.zip(ctx.last_person.as_deref());
            match reg.pronoun(m.span.start, ctx.sentence, spoke, female, !m.after_break) {
                Some(i) => {
                    let p = &mut reg.people[i];
                    if p.female.is_none() {
                        p.female = female;
                    }
                    p.name.clone()
                }
                // A speaker known only by role ("the spokesperson") is not in the registry.
                None => ctx.last_person.clone().unwrap_or_else(|| m.name.clone()),
            }
        }
        Kind::GroupPronoun => {
            ctx.pronoun_subject.clone().or_else(|| ctx.last_group.clone()).unwrap_or_else(|| m.name.clone())
        }
        Kind::PersonRole => {
            // "Haugen's attorneys", "the analysts": several people, not one named before.
            if !is_in(&PERSON_ROLES, &m.head) && m.head.strip_suffix('s').is_some_and(|s| is_in(&PERSON_ROLES, s)) {
                return strip_article(&m.name).to_owned();
            }
            let with_role = |p: &&Person| p.roles.iter().any(|r| *r == m.head || m.roles.contains(r) && r != "top");
            // "Strukov's lawyer" is anyone but Strukov.
            let possessor = m
                .name
                .split_whitespace()
                .find_map(|w| w.strip_suffix("'s").or_else(|| w.strip_suffix("’s")))
                .map(surname_key);
            let not_possessor = |p: &&Person| possessor.as_ref() != Some(&p.surname);
            let earlier = reg.people.iter().filter(|p| p.first_at < m.span.start).filter(not_possessor);
            let later = reg.people.iter().filter(|p| p.first_at > m.span.start).filter(not_possessor);
            // "Infineon's spokesperson", "an Nvidia spokesperson": someone known to speak for
            // them, else the organisation, never whoever spoke last.
            // ("a senior Russian official" is someone unnamed: a nationality is no organisation.)
            let org = is_in(&SPOKES, &m.head).then(|| spoken_for(&m.name)).flatten().filter(|o| !is_demonym(o));
            // "a company spokesperson", "a spokesperson for the ministry": the organisation
            // named before, if it is one of that kind (a ministry by its name; a company when
            // nothing in its name says it is part of a state).
            let org = org.or_else(|| {
                let last = ctx.last_group.as_ref().filter(|_| is_in(&SPOKES, &m.head))?;
                m.name
                    .split_whitespace()
                    .any(|w| {
                        w.starts_with(char::is_lowercase)
                            && is_in(&GROUP_ROLES, w)
                            && w != m.head
                            && fits(w, last, know)
                    })
                    .then(|| last.clone())
            });
            // For them it takes the spokesperson's own role: "Russia's Foreign Ministry
            // spokeswoman" is not an Omani foreign minister named later.
            let speaks = |p: &&Person| {
                p.roles.iter().any(|r| {
                    is_in(&SPOKES, r) && (*r == m.head || m.head.starts_with("spokes") && r.starts_with("spokes"))
                })
            };
            // "Defence Minister Rustem Umerov's spokeswoman" speaks for a person named with a
            // title, who is the speaker: not a spokeswoman of someone else named later.
            if is_in(&SPOKES, &m.head)
                && let Some(name) = titled_owner(&m.name, know)
            {
                return reg.person_by_surname(&name).map_or(name, |p| p.name.clone());
            }
            let found = if let Some(org) = org {
                let Some(p) = earlier.clone().rfind(speaks).or_else(|| later.clone().find(speaks)) else {
                    return reg.group(&org, m.span.start);
                };
                Some(p)
            } else if m.indefinite {
                later.clone().find(with_role)
            } else {
                let last = ctx.last_person.as_ref().and_then(|n| reg.person_by_surname(n)).filter(not_possessor);
                // A role of a kind of its own ("the analyst", "the mayor", "the pope") is only
                // someone named with it; a general one ("the leader", "the top diplomat") or one
                // the tables do not know ("the prelate") may be whoever spoke last.
                // ("the prime minister" is not the foreign minister who spoke last.)
                let distinct = is_in(&DISTINCT_ROLES, &m.head) || m.roles.iter().any(|r| r == "prime");
                let any_role = |_: &&Person| !distinct;
                last.filter(with_role)
                    .or_else(|| earlier.clone().rfind(with_role))
                    .or(last.filter(any_role))
                    .or_else(|| later.clone().find(with_role))
                    .or_else(|| later.clone().find(any_role))
                    .or_else(|| earlier.clone().rfind(any_role))
            };
            // (An unnamed spokesperson of a named organisation returned it above.) A
            // spokesperson of nobody named speaks for the organisation named last before:
            // "The European Commission declined to comment, but a spokesperson said ...".
            if let Some(p) = found {
                return p.name.clone();
            }
            let i = reg.orgs.partition_point(|(at, _)| *at < m.span.start);
            match i.checked_sub(1).and_then(|i| reg.orgs.get(i)) {
                Some((_, org)) if is_in(&SPOKES, &m.head) && m.name.split_whitespace().count() == 1 => org.clone(),
                _ => strip_article(&m.name).to_owned(),
            }
        }
        Kind::GroupRole => {
            let head = m.head.clone();
            if let Some(a) = alias(&m.name) {
                return a;
            }
            // The group named before with the same head word, unless the mention names another:
            // "the officials" after "Russian officials", but not "Canadian officials". A
            // nationality only conflicts with another ("the German institute" can be the Kiel
            // Institute).
            let own: Vec<&str> = strip_article(&m.name)
                .split_whitespace()
                .filter(|w| w.starts_with(char::is_uppercase) && !w.eq_ignore_ascii_case(&head))
                .collect();
            let known = reg
                .groups
                .iter()
                .rev()
                .find(|(g, _)| {
                    let words: Vec<&str> = g.split_whitespace().collect();
                    let has = |o: &str| words.iter().any(|w| w.eq_ignore_ascii_case(o));
                    let nationality = words.iter().any(|w| is_demonym(w));
                    has(&head) && own.iter().all(|o| has(o) || (is_demonym(o) && !nationality))
                })
                .map(|(g, _)| g.clone());
            // "the report", "the researchers": the organisation named last that publishes them.
            let publication = is_in(&PUBLICATIONS, &head);
            // "The Kiel Institute report", "a UN study": the publisher is named in the mention.
            let named = publication
                .then(|| {
                    let words: Vec<&str> = strip_article(&m.name)
                        .split_whitespace()
                        .take_while(|w| w.starts_with(char::is_uppercase))
                        .collect();
                    (!words.is_empty()).then(|| words.join(" "))
                })
                .flatten();
            if let Some(g) = named {
                return alias(&g).unwrap_or_else(|| reg.group(&g, m.span.start));
            }
            let publisher = publication
                .then(|| {
                    let i = reg.orgs.partition_point(|(p, _)| *p < m.span.start);
                    // The last one named before, else (a lede's "a new report") the first after.
                    i.checked_sub(1).and_then(|i| reg.orgs.get(i)).or_else(|| reg.orgs.get(i)).map(|(_, g)| g.clone())
                })
                .flatten();
            if let Some(g) = publisher.filter(|_| known.is_none()) {
                return reg.group(&g, m.span.start);
            }
            known.unwrap_or_else(|| {
                let plural = head.ends_with('s') && !matches!(&*head, "authorities");
                // Only a bare "the ministry" means the organisation before; "the Hong Kong
                // government" names its own, and "police" without the article any police.
                let specific = strip_article(&m.name).split_whitespace().any(|w| w.starts_with(char::is_uppercase));
                // (The name is the mention without its article.)
                let definite = m.span.end.saturating_sub(m.span.start) > m.name.len();
                if !plural
                    && definite
                    && !m.indefinite
                    && !specific
                    && (m.roles.len() == 1)
                    && let Some(g) = ctx.last_group.clone().filter(|g| {
                        // "the foreign ministry" is the Russian Foreign Ministry; "the tax
                        // authority" is not the border guard.
                        let lower = g.to_lowercase();
                        fits(&head, g, know)
                            && strip_article(&m.name)
                                .split_whitespace()
                                .filter(|w| !w.eq_ignore_ascii_case(&head))
                                .all(|w| lower.split_whitespace().any(|l| l == w.to_lowercase()))
                    })
                {
                    return g;
                }
                reg.group(&m.name, m.span.start)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_of_a_sentence_broken_over_lines_are_joined() {
        let text = "He met them, Doe\nwrote\non Monday.\nThe end\nCame.\nA line, then\n\nx removed\nlater";
        let at = |s: &str| text.find(s).unwrap_or(usize::MAX);
        let piece = |s: &str, para: usize| (Span::new(at(s), at(s) + s.len()), para);
        let pieces = [
            piece("He met them, Doe", 0),
            piece("wrote", 1),
            piece("on Monday.", 2),
            // Ends like a sentence; the next starts in capitals: neither joins.
            piece("The end", 3),
            piece("Came.", 4),
            piece("A line, then", 5),
            // Something was removed between: not joined.
            piece("later", 8),
        ];
        let got: Vec<(&str, usize)> = joined(text, &pieces).iter().map(|(s, p)| (s.slice(text), *p)).collect();
        assert_eq!(
            got,
            [
                ("He met them, Doe\nwrote\non Monday.", 0),
                ("The end", 3),
                ("Came.", 4),
                ("A line, then", 5),
                ("later", 8)
            ]
        );
    }

    #[test]
    fn a_place_before_a_name_is_no_part_of_it() {
        let mut know = SpeakerKnowledge::default();
        know.aliases.insert("kyiv".into(), "Ukraine".into());
        know.aliases.insert("washington".into(), "United States".into());
        let text = "The Commander-in-Chief of the Armed Forces of Ukraine Oleksandr Syrskyi said the line held.";
        let pieces = [(Span::new(0, text.len()), 0usize)];
        let found = find(text, &pieces, &know).found;
        assert_eq!(found.first().map(|f| f.canonical.as_str()), Some("Oleksandr Syrskyi"), "{found:?}");
        assert_eq!(without_place("United States Antony Blinken".into(), &know), "Antony Blinken");
        assert_eq!(without_place("Kyiv Mayor Vitali".into(), &know), "Mayor Vitali");
        // Two words are a name already; a word that is no known place stays.
        assert_eq!(without_place("Ukraine Syrskyi".into(), &know), "Ukraine Syrskyi");
        assert_eq!(without_place("Andres Manuel Lopez Obrador".into(), &know), "Andres Manuel Lopez Obrador");
    }

    #[test]
    fn saying_nothing_is_no_claim() {
        for (text, claims) in [
            ("According to RIA, Dmitriev refused to comment on the results.", 0),
            ("Apple did not respond to a request for comment, the ministry said.", 0),
            ("The ministry said it would comment on the results on Monday.", 1),
            ("Dmitriev declined to comment, but said \"the talks went well.\"", 1),
        ] {
            let pieces = [(Span::new(0, text.len()), 0usize)];
            let found = find(text, &pieces, &SpeakerKnowledge::default()).found;
            assert_eq!(found.len(), claims, "{text}: {found:?}");
        }
    }

    #[test]
    fn a_words_classes_are_the_lists_that_hold_it() {
        let lists = class_lists();
        let all = lists.iter().flat_map(|(l, _)| l.iter().copied()).chain(["lavrov", "", "said"]);
        for w in all {
            let want = lists.iter().filter(|(l, _)| l.contains(w)).fold(0, |m, (_, b)| m | b);
            assert_eq!(classes(w), want, "{w:?}");
        }
        assert_eq!(classes("may"), STOP_WORD | TIME_WORD);
    }

    #[test]
    fn eight_bytes_at_a_time_are_the_word_byte_table() {
        swar::assert_same_as_bytes("word bytes", *b"ab'-.9Z,", ascii_word_bytes, |c| WORD_BYTES[usize::from(c)]);
    }

    proptest::proptest! {
        #[test]
        fn word_spans_are_the_word_pattern(text in "[a-zA-Z0-9 .,;:'’\\-()\\[\\]—–“”é\u{301}Ж٣ﬁ_\u{2009}\u{200b}\u{2060}‿⁄…ª²\u{2070}ⁱ!?]{0,160}") {
            let word = Regex::new(r"[\p{L}\p{N}][\p{L}\p{N}\p{M}.'’\-]*|[,;:()\[\]—–]").unwrap_or_else(|_| unreachable!());
            let want: Vec<(usize, usize)> = word.find_iter(&text).map(|m| (m.start(), m.end())).collect();
            proptest::prop_assert_eq!(word_spans(&text).collect::<Vec<_>>(), want);
        }
    }

    /// The cues as the regex [`cues`] stands for.
    fn cues_by_regex(text: &str) -> Vec<std::ops::Range<usize>> {
        let alt = CUE_PHRASES.iter().map(|p| p.replace(' ', r"(?u:\s+)")).collect::<Vec<_>>().join("|");
        let re = Regex::new(&format!(r"(?-u:\b)(?i-u:{alt})(?-u:\b)")).unwrap_or_else(|e| panic!("{e}"));
        re.find_iter(text).map(|m| m.range()).collect()
    }

    #[test]
    fn every_cue_is_found_in_any_case_and_only_as_a_whole_word() {
        for phrase in CUE_PHRASES {
            let upper = phrase.to_uppercase();
            let spaced = phrase.replace(' ', " \u{a0}\n ");
            for written in [phrase.to_string(), upper, spaced] {
                let text = format!("He {written}, then");
                assert_eq!(cues(&text), vec![3..3 + written.len()], "{text:?}");
                for glued in [format!("x{written}"), format!("{written}_"), format!("{written}9")] {
                    assert_eq!(cues(&glued), cues_by_regex(&glued), "{glued:?}");
                }
            }
        }
        // The longer phrase first where two start at one word; a second word must be whole.
        assert_eq!(cues("he called for peace"), vec![3..13]);
        assert_eq!(cues("he called forth"), vec![3..9]);
        assert_eq!(cues("quoted as saying"), vec![0..16]);
        assert_eq!(cues("quoted as sayings"), Vec::<std::ops::Range<usize>>::new());
    }

    proptest::proptest! {
        #[test]
        fn cues_are_the_cue_pattern(
            words in proptest::collection::vec(proptest::sample::select(vec![
                "said", "SAID", "Says", "say", "according", "To", "to", "quoted", "as", "saying", "called", "calls",
                "for", "forth", "on", "that", "found", "warning", "x", "_", "9", " ", "  ", "\u{a0}", "\n",
                "\u{2009}", "é", "\u{17f}", "\u{212a}", "-", ".", ",", "“", "told", "thinks", "offered",
            ]), 0..40)
        ) {
            let text = words.concat();
            proptest::prop_assert_eq!(cues(&text), cues_by_regex(&text));
        }
    }

    proptest::proptest! {
        #[test]
        fn letters_are_the_alphanumeric_characters(text in "[a-zA-Z0-9 @\\[`{/:.,’“é\u{301}Ж٣²_\u{2009}]{0,80}") {
            proptest::prop_assert_eq!(letters(&text), text.chars().filter(|c| c.is_alphanumeric()).count());
        }
    }

    proptest::proptest! {
        #[test]
        fn a_words_surname_key_is_that_of_its_bare_form(text in "[A-Za-z][a-zA-Z0-9.'’\\-yiÉéΣς]{0,12}") {
            let tok = Tok { text: &text, lower: None, span: Span::new(0, text.len()) };
            // The buffer holds a longer key first: each key replaces what was there.
            let mut key = String::from("previous key");
            tok.surname_key_into(&mut key);
            proptest::prop_assert_eq!(key, surname_key(&tok.bare()));
            if text.is_ascii() {
                let folded: String =
                    text.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
                proptest::prop_assert_eq!(fold(&text), folded);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn a_word_lower_cased_with_its_document_is_the_word_lower_cased(
            text in "[a-zA-Z0-9 .,;:'’\\-()“”ÉéÀΣσςΔİIẞßKЖж\u{301}_]{0,40}",
        ) {
            // Appended after what the buffer holds, which stays as it was.
            let mut buf = String::from("Before ");
            let range = lower_into(&text, &mut buf);
            if let Some(r) = range.clone() {
                let want = text.to_lowercase();
                proptest::prop_assert_eq!((&buf[..r.start], &buf[r.clone()]), ("Before ", want.as_str()));
            } else {
                // Only a character whose lower case moves the text, or a capital sigma, stops it.
                proptest::prop_assert!(text.chars().any(|c| c == 'Σ' || c.to_lowercase().to_string().len() != c.len_utf8()));
                proptest::prop_assert_eq!(buf.as_str(), "Before ");
            }
            for t in tokens(&text, range.and_then(|r| buf.get(r)), 0) {
                proptest::prop_assert_eq!(t.lower(), lowercase(t.text));
                proptest::prop_assert_eq!(t.bare(), lowercase(t.bare_text()));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn a_sentences_tokens_between_two_points_are_the_tokens_of_that_piece(
            text in "[a-zA-Z0-9 .,;:'’\\-()\\[\\]—–“”é\u{301}Ж_\u{2009}]{0,40}",
            a in 0usize..48, b in 0usize..48, base in 0usize..3,
        ) {
            let mut buf = String::new();
            let range = lower_into(&text, &mut buf);
            let sent = Sent::new(&text, range.and_then(|r| buf.get(r)), base);
            let (a, b) = (floor_boundary(&text, a.min(b)), floor_boundary(&text, a.max(b)));
            let want: Vec<(String, Span)> =
                tokens(&text[a..b], None, base + a).iter().map(|t| (t.text.to_owned(), t.span)).collect();
            let got: Vec<(String, Span)> =
                sent.between(base + a, base + b).iter().map(|t| (t.text.to_owned(), t.span)).collect();
            // Each token's lower case, taken from the sentence's, is the word's own.
            for t in sent.between(base + a, base + b).iter() {
                proptest::prop_assert_eq!(t.lower(), lowercase(t.text));
            }
            proptest::prop_assert_eq!(got, want, "{:?} {}..{}", text, a, b);
            let texts = |toks: &[Tok<'_>]| toks.iter().map(|t| (t.text.to_owned(), t.span)).collect::<Vec<_>>();
            let before = sent.between(base, base + b);
            let after = sent.between(base + a, base + text.len());
            for n in [1, 3, 6] {
                proptest::prop_assert_eq!(texts(&sent.last_before(base + b, n)), texts(&before[before.len().saturating_sub(n)..]));
                proptest::prop_assert_eq!(texts(&sent.first_after(base + a, n)), texts(&after[..after.len().min(n)]));
            }
        }
    }

    /// The claims `find` makes of `text`, one paragraph per line, with `know`.
    fn found_with(text: &str, know: &SpeakerKnowledge) -> Vec<Found> {
        let paras = crate::segment::Paragraphs::split(text);
        let pieces: Vec<(Span, usize)> = paras.spans.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        find(text, &pieces, know).found
    }

    /// Each claim's speaker and the text of its mention ("" when it has none).
    fn speakers_and_mentions(t: &str) -> Vec<(String, &str)> {
        found_with(t, &SpeakerKnowledge::default())
            .into_iter()
            .map(|f| (f.canonical, f.mention.map_or("", |m| &t[m.start..m.end])))
            .collect()
    }

    fn claims(text: &str) -> Vec<(String, String, String, ClaimForm)> {
        found_with(text, &SpeakerKnowledge::default())
            .into_iter()
            .map(|f| {
                (
                    f.span.slice(text).to_owned(),
                    f.mention.map(|m| m.slice(text).to_owned()).unwrap_or_default(),
                    f.canonical,
                    f.form,
                )
            })
            .collect()
    }

    #[test]
    fn quotes_and_reported_speech_with_their_speakers() {
        let t = "Russian Foreign Minister Sergei Lavrov on Saturday accused the United States of seeking to provoke a conflict.\n\
                 \"We saw no signs,\" Blinken said.\n\
                 \"It is over. Really,\" said Kremlin spokesman Dmitry Peskov.\n\
                 He added that the talks were \"tough\".\n\
                 \"We go on.\"\n\
                 Weeks of tensions have seen Russia surround its neighbour.";
        let c = claims(t);
        assert_eq!(c.len(), 5, "{c:#?}");
        assert_eq!(
            (c[0].1.as_str(), c[0].2.as_str(), c[0].3),
            ("Russian Foreign Minister Sergei Lavrov", "Sergei Lavrov", ClaimForm::Indirect)
        );
        assert_eq!((c[1].1.as_str(), c[1].2.as_str(), c[1].3), ("Blinken", "Blinken", ClaimForm::Direct));
        assert_eq!(
            (c[2].1.as_str(), c[2].2.as_str(), c[2].3),
            ("Kremlin spokesman Dmitry Peskov", "Dmitry Peskov", ClaimForm::Direct)
        );
        assert_eq!((c[3].1.as_str(), c[3].2.as_str(), c[3].3), ("He", "Dmitry Peskov", ClaimForm::Mixed));
        assert_eq!((c[4].1.as_str(), c[4].2.as_str(), c[4].3), ("", "Dmitry Peskov", ClaimForm::Direct));
    }

    #[test]
    fn a_pronoun_finds_its_person_after_dropped_name_candidates() {
        // "Santa Barbara" is a candidate that is no person (no role, never "Barbara" alone),
        // named before the person "He" stands for: people after it move up when it goes.
        let t = "Santa Barbara council members met on Monday.\n\
                 Foreign Minister Sergei Lavrov attended the talks.\n\
                 He said the talks had failed.";
        let c = claims(t);
        let got: Vec<(&str, &str)> = c.iter().map(|x| (x.1.as_str(), x.2.as_str())).collect();
        assert_eq!(got, [("He", "Sergei Lavrov")]);
    }

    #[test]
    fn appositives_roles_and_organisations() {
        let t = "Polish Foreign Ministry spokesman Lukasz Jasina said 45 diplomats must leave.\n\
                 The Russian ambassador to Warsaw, Sergey Andreev, condemned the accusations.\n\
                 Anthony Megrant, chief architect for Google Quantum AI, said in an interview that it works.\n\
                 The Russian Defense Ministry said Ukraine's forces used the weapons.\n\
                 The ministry added that it would respond.\n\
                 The ambassador said he would retaliate.\n\
                 China, however, stressed that talks matter.";
        let c = claims(t);
        let got: Vec<(&str, &str)> = c.iter().map(|x| (x.1.as_str(), x.2.as_str())).collect();
        assert_eq!(
            got,
            [
                ("Polish Foreign Ministry spokesman Lukasz Jasina", "Lukasz Jasina"),
                ("The Russian ambassador to Warsaw, Sergey Andreev", "Sergey Andreev"),
                ("Anthony Megrant, chief architect for Google Quantum AI", "Anthony Megrant"),
                ("The Russian Defense Ministry", "Russian Defense Ministry"),
                ("The ministry", "Russian Defense Ministry"),
                ("The ambassador", "Sergey Andreev"),
                ("China", "China"),
            ]
        );
    }

    #[test]
    fn acronyms_the_text_defines_stand_for_their_names() {
        let t = "His clients were ordered by the Australian Tax Office (ATO) to pay back the money.\n\
                 The ATO said it would analyse the data.\n\
                 Analysts at the Institute for the Study of War (ISW) said the attack failed.\n\
                 The ISW added that more would follow.\n\
                 The CIA said nothing had changed.";
        let c = claims(t);
        let got: Vec<(&str, &str)> = c.iter().map(|x| (x.1.as_str(), x.2.as_str())).collect();
        assert_eq!(got[0], ("The ATO", "Australian Tax Office"), "{c:#?}");
        assert_eq!(got[2], ("The ISW", "Institute for the Study of War"), "{c:#?}");
        // An acronym the text never spells out stays as written.
        assert_eq!(got[3], ("The CIA", "CIA"), "{c:#?}");
        assert!(abbreviates("ATO", "Australian Tax Office") && !abbreviates("AT", "Australian Tax Office"));
    }

    #[test]
    fn institutions_keep_their_of_phrases() {
        let t = "The Ministry of Defense of the Russian Federation reported that units took the village.\n\
                 According to the General Staff of the Armed Forces of Ukraine, the front recorded 230 engagements.\n\
                 Russia launched 126 drones at Ukraine, according to the Ukrainian air force.\n\
                 The think tank Center for a New American Security estimates that 10,000 chips were smuggled.";
        let c = claims(t);
        let got: Vec<&str> = c.iter().map(|x| x.2.as_str()).collect();
        assert_eq!(
            got,
            [
                "Ministry of Defense of the Russian Federation",
                "General Staff of the Armed Forces of Ukraine",
                "Ukrainian air force",
                "Center for a New American Security"
            ],
            "{c:#?}"
        );
    }

    #[test]
    fn a_name_without_its_qualifier_is_the_one_named_with_it_before() {
        let t = "According to the General Staff of the Armed Forces of Ukraine, the front recorded 57 attacks.\n\
                 According to the General Staff of the Armed Forces, the enemy tried to advance 35 times.\n\
                 The Monitoring Mission said that 12 civilians died.\n\
                 The Monitoring Mission in Ukraine added that 40 were wounded.\n\
                 The Ministry of Justice said the law applies.\n\
                 The ministry said it would appeal.\n\
                 According to the Human Rights Monitoring Mission in Ukraine, 2025 was the deadliest year.";
        let c = claims(t);
        let got: Vec<&str> = c.iter().map(|x| x.2.as_str()).collect();
        assert_eq!(
            got,
            [
                "General Staff of the Armed Forces of Ukraine",
                "General Staff of the Armed Forces of Ukraine",
                "Monitoring Mission",
                "Monitoring Mission in Ukraine",
                "Ministry of Justice",
                "Ministry of Justice",
                "Human Rights Monitoring Mission in Ukraine"
            ],
            "{c:#?}"
        );
    }

    fn claims_knowing(text: &str, know: &SpeakerKnowledge) -> Vec<(String, String)> {
        found_with(text, know)
            .into_iter()
            .map(|f| (f.mention.map(|m| m.slice(text).to_owned()).unwrap_or_default(), f.canonical))
            .collect()
    }

    #[test]
    fn a_known_person_named_by_surname_alone_is_who_he_means() {
        let mut know = SpeakerKnowledge::default();
        know.add_person("Vladimir Putin");
        know.add_person("Donald Trump");
        let t = "Putin is escalating attacks because he cannot win the war.\n\
                 In his statements, Putin projects confidence. That came back to haunt him when he claimed to have captured the city.\n\
                 Putin said the talks would go on.";
        let got = claims_knowing(t, &know);
        assert_eq!(
            got,
            [("he".to_owned(), "Vladimir Putin".to_owned()), ("Putin".to_owned(), "Vladimir Putin".to_owned())]
        );
        // Without the knowledge nobody stands for "he", and "Putin" stays as written.
        let got = claims_knowing(t, &SpeakerKnowledge::default());
        assert_eq!(got, [("Putin".to_owned(), "Putin".to_owned())]);
        // Someone of the surname named in full is meant instead.
        let t = "Eric Trump, a businessman, visited the site on Monday.\n\
                 Trump said the company would build there.";
        let got = claims_knowing(t, &know);
        assert_eq!(got, [("Trump".to_owned(), "Eric Trump".to_owned())]);
    }

    #[test]
    fn a_speaker_in_a_subordinate_clause_gives_way_to_the_main_clause_subject() {
        let t = "Donald Trump visited Ottawa last year.\n\
                 Just one day after Trump remarked that “Canada lives because of us,” Prime Minister Mark Carney fired back on Thursday. “Canada thrives because we are Canadian,” he declared.\n\
                 EU foreign policy chief Josep Borrell said Lavrov was not listening. “That is not constructive,” he told AFP.";
        let c = claims(t);
        let got: Vec<&str> = c.iter().map(|x| x.2.as_str()).collect();
        // Lavrov, named after the speaker Borrell in a sentence with no subordinate clause, is
        // not who "he" means.
        assert_eq!(got, ["Donald Trump", "Mark Carney", "Josep Borrell", "Josep Borrell"], "{c:#?}");
    }

    #[test]
    fn a_pronoun_in_a_clause_means_the_subject_before_it_and_after_a_comma_the_speaker() {
        let t = "Kremlin spokesman Dmitry Peskov spoke to reporters on Friday.\n\
                 Russian President Vladimir Putin has been receiving reports about progress in Geneva, he said.\n\
                 Putin's key goals remain what he declared in 2022.";
        let c = claims(t);
        let got: Vec<(&str, &str)> = c.iter().map(|x| (x.1.as_str(), x.2.as_str())).collect();
        assert_eq!(got, [("he", "Dmitry Peskov"), ("he", "Vladimir Putin")], "{c:#?}");
    }

    #[test]
    fn an_organisations_spokesperson_speaks_for_it_and_a_head_of_something_is_a_person() {
        let t = "Samuel Bickett, a lawyer, said the trade goes on.\n\
                 In an emailed statement, Infineon's spokesperson acknowledged that monitoring is hard.";
        let got: Vec<String> = claims(t).into_iter().map(|x| x.2).collect();
        assert_eq!(got, ["Samuel Bickett", "Infineon"]);
        let t = "Major Archbishop Sviatoslav Shevchuk said churches have become shelters.\n\
                 The head of the Ukrainian Greek Catholic Church said the war has reshaped life.";
        let c = claims(t);
        assert_eq!(c[1].1, "The head of the Ukrainian Greek Catholic Church", "{c:#?}");
        assert_eq!(c[1].2, "Sviatoslav Shevchuk", "{c:#?}");
    }

    #[test]
    fn more_cues_fillers_and_whose_lawyer() {
        let t = "Chinese envoy Zhang Jun for his part urged \"further consultations\".\n\
                 Zelensky has offered to withdraw troops from the region.\n\
                 As the trial ended, Alexander Strukov shouted: \"Glory to Ukraine!\"\n\
                 According to Strukov's lawyer, the ruling adds a year to his term.\n\
                 The defence lawyer, Leonid Solovyov, argued that the phrase was open to interpretation.";
        let c = claims(t);
        let got: Vec<(&str, &str)> = c.iter().map(|x| (x.1.as_str(), x.2.as_str())).collect();
        assert_eq!(
            got,
            [
                ("Chinese envoy Zhang Jun", "Zhang Jun"),
                ("Zelensky", "Zelensky"),
                ("Alexander Strukov", "Alexander Strukov"),
                ("Strukov's lawyer", "Leonid Solovyov"),
                ("The defence lawyer, Leonid Solovyov", "Leonid Solovyov"),
            ],
            "{c:#?}"
        );
    }

    #[test]
    fn nested_attribution_keeps_the_speaker_and_the_source() {
        let t = "Lavrov said \"the campaign pursues provocative goals,\" the Russian Foreign Ministry said.";
        let paras = crate::segment::Paragraphs::split(t);
        let f = find(t, &[(paras.spans[0], 0)], &SpeakerKnowledge::default()).found;
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].canonical, "Lavrov");
        assert_eq!(f[0].form, ClaimForm::Mixed);
        assert_eq!(f[0].source.as_ref().map(|s| s.1.as_str()), Some("Russian Foreign Ministry"));
    }

    #[test]
    fn according_to_participles_genders_and_spokespeople() {
        let t = "According to Diana Buttu, a former adviser to negotiators, the plan failed.\n\
                 The tax office released a statement saying it would review the data.\n\
                 Economist Alexandra Prokopenko said the economy was stuck.\n\
                 \"It cannot go on,\" she wrote.\n\
                 President Vladimir Putin insists on continuing, and he waits.\n\
                 \"No climber survives,\" she said.\n\
                 Survivor Celso Pacheco of Guatemala said the truck was speeding.\n\
                 An Nvidia spokesperson said the company complies with the rules.";
        // Putin, known to be "he", who spoke in the sentence before, is not that "she".
        let mut know = SpeakerKnowledge::default();
        know.first_names.insert("vladimir".to_owned(), false);
        let got: Vec<String> = found_with(t, &know).into_iter().map(|f| f.canonical).collect();
        assert_eq!(
            got,
            [
                "Diana Buttu", "tax office", "Alexandra Prokopenko", "Alexandra Prokopenko", "Vladimir Putin",
                "Alexandra Prokopenko", "Celso Pacheco", "Nvidia"
            ]
        );
    }

    #[test]
    fn she_after_someone_of_unknown_gender_who_just_spoke_is_them() {
        let t = "Treasury Secretary Janet Yellen said the plan would raise revenue.\n\
                 Thornton Matheson, a fellow at a think tank, said the deal \"would be a major reversal.\"\n\
                 However, she said, many details need to be worked out.\n\
                 Economist Alexandra Prokopenko said the economy was stuck.\n\
                 \"It is stuck,\" she added.\n\
                 Analyst Sam Greene said the rouble would fall.\n\
                 Officials met on Monday.\n\
                 \"It cannot go on,\" she wrote.";
        let got: Vec<String> = claims(t).into_iter().map(|c| c.2).collect();
        // Someone known to be "she" still beats one of unknown gender who spoke before the last
        // sentence.
        let (yellen, matheson, prokopenko) = ("Janet Yellen", "Thornton Matheson", "Alexandra Prokopenko");
        assert_eq!(got, [yellen, matheson, matheson, prokopenko, prokopenko, "Sam Greene", prokopenko]);
    }

    #[test]
    fn according_is_nobody_and_a_person_is_no_organisation() {
        let t = "Alexander Strukov was sentenced on Monday.\n\
                 According to the court secretary, Strukov said the words after the hearing.\n\
                 The administration claims he is not seeking rehabilitation.\n\
                 According to Yuri Khomyakov, an expert, Strukov was calling for an attack.\n\
                 The Interior Ministry said it had opened a case.\n\
                 On Thursday, police announced the detention of a lawmaker.";
        let paras = crate::segment::Paragraphs::split(t);
        let pieces: Vec<(Span, usize)> = paras.spans.iter().copied().enumerate().map(|(i, s)| (s, i)).collect();
        let found = find(t, &pieces, &SpeakerKnowledge::default()).found;
        let got: Vec<(&str, Option<&str>)> =
            found.iter().map(|f| (f.canonical.as_str(), f.source.as_ref().map(|s| s.1.as_str()))).collect();
        // The person reporting is not what "the administration" means; "According" is no
        // source; "police" without the article is not the ministry named before.
        assert_eq!(
            &got[1..],
            [("administration", None), ("Yuri Khomyakov", None), ("Interior Ministry", None), ("police", None)]
        );
    }

    #[test]
    fn state_bodies_named_in_lower_case_speak() {
        let t = "Finland's border guard said 900 people had arrived in November.\n\
                 The tax authority said it would review the data.\n\
                 The war monitor said 40 civilians were killed.\n\
                 Officials said the bridge would reopen on Monday.\n\
                 The union threatened to strike if wages were not raised.";
        let got: Vec<String> = found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| f.canonical).collect();
        // People named before ("Officials") are no organisation for "the union".
        assert_eq!(got, ["Finland's border guard", "tax authority", "war monitor", "Officials", "union"]);
    }

    #[test]
    fn according_to_him_and_as_reported_by() {
        let t = "Commander Oleksandr Syrskyi reported this on Telegram.\n\
                 According to him, the enemy continues to attack near Pokrovsk.\n\
                 As reported by the General Staff, 132 combat clashes took place.\n\
                 Olena Doe, an analyst, said the front would hold.\n\
                 According to her, the reserves are enough.";
        let got: Vec<String> = found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| f.canonical).collect();
        assert_eq!(got, ["Oleksandr Syrskyi", "Oleksandr Syrskyi", "General Staff", "Olena Doe", "Olena Doe"]);
    }

    #[test]
    fn organisations_of_a_kind_speak_as_a_group() {
        let t = "The Interior Ministry said 43 officers had been injured.\n\
                 Human rights groups said detainees had been beaten.\n\
                 They called on the authorities to release them.\n\
                 In 2014, the two regions declared themselves new republics.";
        let got: Vec<String> = found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| f.canonical).collect();
        // "They" are the groups, not the ministry; places are no speakers of this kind.
        assert_eq!(got, ["Interior Ministry", "Human rights groups", "Human rights groups"]);
    }

    #[test]
    fn a_company_spokesperson_speaks_for_the_company_named_before() {
        let t = "Nvidia said it expected a $5.5 billion charge.\n\
                 \"We are complying with all regulations,\" a company spokesperson said.\n\
                 A spokesperson for the ministry said the rules were clear.\n\
                 The Chinese Commerce Ministry said it opposed the curbs.\n\
                 A ministry spokesman said the curbs broke trade rules.\n\
                 A company spokesperson said the ministry was wrong.";
        let got: Vec<String> = found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| f.canonical).collect();
        // A ministry is not the company named before, nor a company the ministry.
        assert_eq!(
            got,
            [
                "Nvidia", "Nvidia", "ministry", "Chinese Commerce Ministry", "Chinese Commerce Ministry",
                "company spokesperson"
            ]
        );
    }

    #[test]
    fn colon_quotes_staffs_and_subjects_before_relative_clauses() {
        let t = "Kremlin spokesman Dmitry Peskov told reporters: \"There will be no ceasefire.\"\n\
                 In a post on X, Elon Musk wrote: \"This war must end.\"\n\
                 Asked about the talks, Marco Rubio said: \"We will not negotiate.\" Then he left.\n\
                 According to Ukraine's General Staff, Russian forces launched 150 attacks.\n\
                 A soldier who asked not to be named said the situation was difficult.\n\
                 Meanwhile, a soldier in the Donetsk region, who gave only his call sign, Grizzly, said the front held.\n\
                 It is unlikely Aung San Suu Kyi, who was once called a beacon of hope, will be freed.";
        let got: Vec<(String, ClaimForm)> =
            found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| (f.canonical, f.form)).collect();
        let want = [
            ("Dmitry Peskov", ClaimForm::Direct),
            ("Elon Musk", ClaimForm::Direct),
            // The quotation is not the whole sentence.
            ("Marco Rubio", ClaimForm::Mixed),
            ("Ukraine's General Staff", ClaimForm::Indirect),
            ("soldier", ClaimForm::Indirect),
            ("soldier", ClaimForm::Indirect),
        ];
        assert_eq!(got, want.map(|(s, f)| (s.to_owned(), f)));
    }

    #[test]
    fn a_role_of_its_own_kind_is_only_someone_named_with_it() {
        let t = "Ray Wang, an analyst at SemiAnalysis, said demand was enormous.\n\
                 The analyst added that smuggling would continue.\n\
                 Mayor Vitali Klitschko said the city had power.\n\
                 President Emmanuel Macron pledged aid to the city.\n\
                 \"We will rebuild,\" the mayor said.\n\
                 \"We must stop this war now,\" the pope said.\n\
                 The president said the aid would arrive soon.";
        let got: Vec<String> = found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| f.canonical).collect();
        // "the pope" is not Macron, and "the president" still is.
        assert_eq!(
            got,
            [
                "Ray Wang", "Ray Wang", "Vitali Klitschko", "Emmanuel Macron", "Vitali Klitschko", "pope",
                "Emmanuel Macron"
            ]
        );
    }

    #[test]
    fn an_institution_speaks_through_its_spokeswoman_not_through_a_minister() {
        let t = "Russia's Foreign Ministry spokeswoman said Moscow opposed any use of force.\n\
                 A White House spokeswoman said the president was briefed.\n\
                 \"Diplomacy is the only way,\" said Omani Foreign Minister Badr Albusaidi.";
        let got: Vec<String> = found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| f.canonical).collect();
        assert_eq!(got, ["Russia's Foreign Ministry", "White House", "Badr Albusaidi"]);
        assert_eq!(spoken_for("Nvidia's spokesperson").as_deref(), Some("Nvidia"));
        assert_eq!(spoken_for("Deputy spokesman").as_deref(), None);
    }

    #[test]
    fn a_nationality_names_its_own_officials() {
        let t = "Russian officials said the talks would resume.\n\
                 Canadian officials said the plan was sound.\n\
                 The officials said the plan was sound.\n\
                 A senior Russian official said the talks would resume next week.\n\
                 A Kremlin official said the meeting was useful.\n\
                 The Kiel Institute said aid had fallen.\n\
                 The German institute also said European aid had risen.";
        let got: Vec<String> = found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| f.canonical).collect();
        assert_eq!(
            got,
            [
                "Russian officials", "Canadian officials", "Canadian officials", "senior Russian official", "Kremlin",
                "Kiel Institute", "Kiel Institute"
            ]
        );
        assert!(is_demonym("Ukrainian") && is_demonym("Chinese") && is_demonym("Israeli") && is_demonym("French"));
        assert!(!is_demonym("Kremlin") && !is_demonym("Iran") && !is_demonym("Taliban") && !is_demonym("Nvidia"));
    }

    #[test]
    fn unnamed_people_stay_unnamed() {
        let t = "Kremlin spokesman Dmitry Peskov said the talks had no prospects.\n\
                 \"It's a disaster,\" said one resident, who gave only her first name, Olga.\n\
                 Two sources familiar with the matter told Reuters that the deal was close.\n\
                 Aid will go to the opposition as a whole, especially the unity government, says Dan Slater, a scholar.\n\
                 A Moscow business executive told the Post that the crisis could deepen.\n\
                 Christina Doe, an analyst, said the economy was slowing.";
        let got: Vec<String> = found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| f.canonical).collect();
        // Neither "one resident" nor "the matter" is the spokesman named before, "a whole" is
        // nobody, and an unnamed executive is not whoever the text names after them.
        assert_eq!(
            got,
            [
                "Dmitry Peskov", "one resident", "Two sources", "Dan Slater", "Moscow business executive",
                "Christina Doe"
            ]
        );
    }

    #[test]
    fn people_of_a_place_speak_not_the_place() {
        let t = "The authorities in Kyiv said the bodies may belong to Ukrainian defenders.\n\
                 Federal prosecutors in Texas said the ring smuggled chips.\n\
                 Police in Moscow said three people were detained.\n\
                 The OSCE Monitoring Mission in Ukraine reported 40 explosions.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                ("Kyiv authorities".to_owned(), "The authorities in Kyiv"),
                ("Texas federal prosecutors".to_owned(), "Federal prosecutors in Texas"),
                ("Moscow police".to_owned(), "Police in Moscow"),
                // An institution's place is part of its name.
                ("OSCE Monitoring Mission in Ukraine".to_owned(), "The OSCE Monitoring Mission in Ukraine"),
            ]
        );
    }

    #[test]
    fn a_quotation_signed_on_the_line_under_it_is_the_signers() {
        let t = "The commander Oleksandr Syrskyi said the troops had regained 400 square kilometres.\n\
                 “Russia has too few resources left for an offensive, and its economic problems are growing.”\n\
                 –  Kostyantyn Mashovets\n\
                 Syrskyi said the front held.\n\
                 “We will hold the line.”\n\
                 – the defence ministry";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                ("Oleksandr Syrskyi".to_owned(), "The commander Oleksandr Syrskyi"),
                // Before, the quotation went on in Syrskyi's words.
                ("Kostyantyn Mashovets".to_owned(), "Kostyantyn Mashovets"),
                ("Oleksandr Syrskyi".to_owned(), "Syrskyi"),
                // A quotation goes on in the words of the last speaker, as before, when the line
                // under it signs with no name.
                ("Oleksandr Syrskyi".to_owned(), ""),
            ]
        );
    }

    #[test]
    fn the_staff_is_the_staff_named_before() {
        let t = "According to the General Staff of the Armed Forces, the front recorded 230 engagements.\n\
                 The commander Oleksandr Syrskyi visited the front.\n\
                 According to official data from the staff, the counteroffensive continues.\n\
                 Hospital staff said the wards were full.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                ("General Staff of the Armed Forces".to_owned(), "the General Staff of the Armed Forces"),
                // Before, "the staff" was someone by an unknown role: the commander named later.
                ("General Staff of the Armed Forces".to_owned(), "the staff"),
                ("Hospital staff".to_owned(), "Hospital staff"),
            ]
        );
    }

    #[test]
    fn tweets_concessions_assurances_and_testimony_are_claims() {
        let t = "Senator Lindsey Graham tweeted that Moscow \"cannot be trusted.\"\n\
                 Port director Ian Moss conceded that the pumps had failed twice.\n\
                 Mayor Anna Berg assured residents that the water was safe to drink.\n\
                 Lena Hart, an engineer, testified that she had warned the council in 2019.\n\
                 The company countered that the tests had been flawed.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                // Before, none of these verbs was a cue and none of the sentences a claim.
                ("Lindsey Graham".to_owned(), "Senator Lindsey Graham"),
                ("Ian Moss".to_owned(), "Port director Ian Moss"),
                ("Anna Berg".to_owned(), "Mayor Anna Berg"),
                ("Lena Hart".to_owned(), "Lena Hart, an engineer"),
                ("company".to_owned(), "The company"),
            ]
        );
    }

    #[test]
    fn an_official_of_a_state_is_unnamed_however_the_state_is_spelt() {
        let t = "A US official said the talks would resume.\n\
                 A U.S. official said the extension was meant to support the talks.\n\
                 A UK official said the sanctions would stay.\n\
                 An Nvidia spokesperson said the company would comply.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                ("US official".to_owned(), "A US official"),
                // Before, "U.S." and "UK" were organisations that spoke through the official.
                ("U.S. official".to_owned(), "A U.S. official"),
                ("UK official".to_owned(), "A UK official"),
                ("Nvidia".to_owned(), "An Nvidia spokesperson"),
            ]
        );
    }

    #[test]
    fn a_statement_or_figures_from_an_organisation_are_its_own() {
        let t = "According to a statement from Syria's defence ministry, the strike came from the Golan Heights.\n\
                 According to figures from the UN refugee agency UNHCR, 4,000 people fled the town.\n\
                 According to the statement, the talks will resume in May.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                // Before, the speaker was "statement" and "figures".
                ("Syria's defence ministry".to_owned(), "Syria's defence ministry"),
                ("UNHCR".to_owned(), "agency UNHCR"),
                // "The statement" alone is the organisation that spoke last.
                ("UNHCR".to_owned(), "the statement"),
            ]
        );
    }

    #[test]
    fn a_text_that_reads_a_quotation_speaks() {
        let t = "The Foreign Ministry condemned the strike on Monday.\n\
                 “We will not accept further excuses,” the statement read.\n\
                 The sign at the gate reads: “No entry without a permit.”\n\
                 The letter reads: “We ask for nothing but the truth.”\n\
                 He read the report twice before the meeting, aides said.";
        let got: Vec<(String, String)> = claims(t).into_iter().map(|(_, m, c, _)| (m, c)).collect();
        assert_eq!(
            got,
            [
                ("The Foreign Ministry".to_owned(), "Foreign Ministry".to_owned()),
                // Before, "read" was no cue and the quotation went to whoever spoke last.
                ("the statement".to_owned(), "Foreign Ministry".to_owned()),
                // A sign is no speaker.
                ("The letter".to_owned(), "Foreign Ministry".to_owned()),
                // Reading is not speaking: the aides are the speakers.
                ("aides".to_owned(), "aides".to_owned()),
            ]
        );
    }

    #[test]
    fn a_general_role_with_nobody_else_is_who_was_named_before() {
        let t = "Archbishop Jan Novak blesses a shelter in Lviv in January.\n\
                 The war has deepened the crisis, the country's outspoken prelate told reporters.\n\
                 The mayor said the shelters were full.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                // Before, the speaker was "country's outspoken prelate".
                ("Jan Novak".to_owned(), "the country's outspoken prelate"),
                // A role of a kind of its own is still only someone named with it.
                ("mayor".to_owned(), "The mayor"),
            ]
        );
    }

    #[test]
    fn a_name_may_hold_a_word_of_the_calendar() {
        let t = "Former British Prime Minister Theresa May said the deal was dead.\n\
                 Jan Egeland, head of the Norwegian Refugee Council, said aid was blocked.\n\
                 Egeland added that the crossings had to reopen.\n\
                 May added that she would vote against it.\n\
                 Chinese envoy Zhang Jun said the council must act.\n\
                 On Jan. 26, the ministry said the talks would resume.\n\
                 In May Sweden said it would join.\n\
                 Posted Sun 3 Oct 2021 at 7:54pm.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                ("Theresa May".to_owned(), "Former British Prime Minister Theresa May"),
                ("Jan Egeland".to_owned(), "Jan Egeland, head of the Norwegian Refugee Council"),
                ("Jan Egeland".to_owned(), "Egeland"),
                ("Theresa May".to_owned(), "May"),
                ("Zhang Jun".to_owned(), "Chinese envoy Zhang Jun"),
                ("ministry".to_owned(), "the ministry"),
                ("Sweden".to_owned(), "Sweden"),
                // A date after a cue is no speaker.
            ]
        );
    }

    #[test]
    fn a_spokeswoman_of_a_person_speaks_for_that_person() {
        let t = "Defence Minister Rustem Umerov's spokeswoman said the meeting would take place on Friday.\n\
                 Maria Zakharova, the Russian Foreign Ministry's spokeswoman, said the sanctions were illegal.\n\
                 Tran Thi Mai, 45, a rice farmer, said the floods had destroyed her crop.\n\
                 The 45-year-old said she had lost everything.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                // Before, Zakharova, a spokeswoman named after it.
                ("Rustem Umerov".to_owned(), "Defence Minister Rustem Umerov's spokeswoman"),
                ("Maria Zakharova".to_owned(), "Maria Zakharova, the Russian Foreign Ministry's spokeswoman"),
                // Before, an age set off by commas, or a person known by it, made no claim.
                ("Tran Thi Mai".to_owned(), "Tran Thi Mai, 45, a rice farmer"),
                ("Tran Thi Mai".to_owned(), "The 45-year-old"),
            ]
        );
    }

    #[test]
    fn a_link_note_after_a_ticker_keeps_the_subject() {
        let t = "Google (GOOGL.O), opens new tab on Monday said that it had overcome a key challenge.\n\
                 Nvidia (NVDA.O), opens in a new window said it would comply.";
        let got = speakers_and_mentions(t);
        // Before, neither sentence made a claim.
        assert_eq!(got, [("Google".to_owned(), "Google"), ("Nvidia".to_owned(), "Nvidia")]);
        // Whatever "it" stands for, it does not promise speed as someone promises help.
        let t = "Google said it had a new chip.\n\
                 Google is chasing quantum computing because it promises speeds far faster than today's.\n\
                 It promised to publish the results.";
        let got = speakers_and_mentions(t);
        assert_eq!(got, [("Google".to_owned(), "Google"), ("Google".to_owned(), "It")]);
    }

    #[test]
    fn the_prime_minister_is_not_the_foreign_secretary_who_spoke_last() {
        let t = "Foreign Secretary David Lammy said Britain would not waver.\n\
                 He went on to say that the talks would continue in Geneva.\n\
                 The prime minister told reporters that the economy was recovering.\n\
                 The minister added that the embassy would stay open.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                ("David Lammy".to_owned(), "Foreign Secretary David Lammy"),
                // Before, no claim.
                ("David Lammy".to_owned(), "He"),
                // Before, David Lammy.
                ("prime minister".to_owned(), "The prime minister"),
                // A general role may still be whoever was named with a role like it.
                ("David Lammy".to_owned(), "The minister"),
            ]
        );
    }

    #[test]
    fn they_after_a_date_and_a_group_are_that_group() {
        let t = "On Dec. 8, Federal prosecutors in Texas unsealed documents about a smuggling network.\n\
                 The ring, they said, had exported chips worth $160 million.";
        let got = speakers_and_mentions(t);
        // Before, "they" stood for nobody and made no claim.
        assert_eq!(got, [("Federal prosecutors".to_owned(), "they")]);
    }

    #[test]
    fn a_headquarters_speaks() {
        let t = "Ukraine's coordination headquarters said the freed men included soldiers captured at Mariupol.\n\
                 The Southern Command said the strikes hit two depots.";
        let got = speakers_and_mentions(t);
        // Before, the headquarters made no claim (a command named in capitals did).
        assert_eq!(
            got,
            [
                ("Ukraine's coordination headquarters".to_owned(), "Ukraine's coordination headquarters"),
                ("Southern Command".to_owned(), "The Southern Command"),
            ]
        );
    }

    #[test]
    fn a_spokesperson_of_nobody_named_speaks_for_the_organisation_before() {
        let t = "The European Commission declined to comment, but a spokesperson said the EU \"remains committed\" to the talks.\n\
                 Kremlin spokesman Dmitry Peskov said the talks would resume.\n\
                 The spokesman added that no date had been set.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                // Before, the speaker was "spokesperson".
                ("European Commission".to_owned(), "a spokesperson"),
                ("Dmitry Peskov".to_owned(), "Kremlin spokesman Dmitry Peskov"),
                // A spokesman named before is still the one.
                ("Dmitry Peskov".to_owned(), "The spokesman"),
            ]
        );
    }

    #[test]
    fn a_letter_signed_by_people_is_theirs() {
        let t = "The letter, signed by 40 lawmakers, said the backlog had left veterans waiting.\n\
                 The statement, issued by the Foreign Ministry, said the talks would resume.\n\
                 Greenpeace, backed by the unions, said the strike would go on.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                // Before, the speaker was "letter" and "statement".
                ("lawmakers".to_owned(), "40 lawmakers"),
                ("Foreign Ministry".to_owned(), "the Foreign Ministry"),
                // Support is not authorship.
                ("Greenpeace".to_owned(), "Greenpeace, backed by the unions"),
            ]
        );
    }

    #[test]
    fn they_or_it_are_whom_the_sentence_before_opened_with() {
        let t = "Police arrested two men in the harbour on Sunday.\n\
                 They said the men were carrying fake passports.\n\
                 The ministry said the port would reopen. Federal prosecutors charged the captain.\n\
                 Researchers at the Harbour Institute analysed the catch. They found that most of it came from the closed zone.\n\
                 The talks ended on Friday. They said the port would reopen.\n\
                 Harbour Holdings cut 300 jobs on Monday. It said demand had collapsed.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                // Before, no claim: "they" stood for nobody who had spoken.
                ("Police".to_owned(), "They"),
                ("ministry".to_owned(), "The ministry"),
                ("Federal prosecutors".to_owned(), "Federal prosecutors"),
                // Before, the prosecutors, the last group to speak.
                ("Researchers".to_owned(), "They"),
                // "The talks" are no people: "they" are still the last group that spoke.
                ("Researchers".to_owned(), "They"),
                // Before, the researchers.
                ("Harbour Holdings".to_owned(), "It"),
            ]
        );
    }

    #[test]
    fn a_parenthetical_then_a_time_phrase_leaves_the_subject_before_them() {
        let t = "Harbour Holdings (HHL.L) on Monday said it would sell the eastern quay.\n\
                 The Federal Security Service (FSB) earlier on Tuesday said two men were detained.\n\
                 Fishermen (and their families) said the quay must stay open.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                ("Harbour Holdings".to_owned(), "Harbour Holdings"),
                ("Federal Security Service".to_owned(), "The Federal Security Service"),
                ("Fishermen".to_owned(), "Fishermen"),
            ]
        );
    }

    #[test]
    fn a_name_after_the_role_that_closes_a_quotation_is_who_spoke() {
        let t = "Hungary's prime minister, Viktor Orbán, had threatened to block the package.\n\
                 \"This is a strong signal of unity,\" said the Estonian prime minister, Kristen Michal.\n\
                 \"We are united,\" said the foreign minister, Jane Doe, after the talks.\n\
                 \"We are ready,\" said the foreign minister, who would not be named.";
        let got = speakers_and_mentions(t);
        assert_eq!(
            got,
            [
                ("Viktor Orbán".to_owned(), "Hungary's prime minister, Viktor Orbán"),
                ("Kristen Michal".to_owned(), "the Estonian prime minister, Kristen Michal"),
                ("Jane Doe".to_owned(), "the foreign minister, Jane Doe"),
                // Without a name the role stands for the last person (see `resolve`).
                ("Jane Doe".to_owned(), "the foreign minister"),
            ]
        );
    }

    #[test]
    fn an_institution_of_a_state_by_its_formal_name_is_the_one_named_by_the_adjective() {
        let mut know = SpeakerKnowledge::default();
        know.states.push(("Russian Federation".to_owned(), "Russian".to_owned()));
        know.states.push(("People's Republic of China".to_owned(), "Chinese".to_owned()));
        let t = "The Ministry of Defense of the Russian Federation reported that 30 drones were downed.\n\
                 The Russian Ministry of Defense said the strikes hit their targets.\n\
                 The Ministry of Foreign Affairs of the People's Republic of China said it opposed the sanctions.\n\
                 The General Staff of the Armed Forces of Ukraine reported 127 clashes.";
        let got: Vec<String> = found_with(t, &know).into_iter().map(|f| f.canonical).collect();
        assert_eq!(
            got,
            [
                "Russian Ministry of Defense",
                "Russian Ministry of Defense",
                "Chinese Ministry of Foreign Affairs",
                "General Staff of the Armed Forces of Ukraine"
            ]
        );
        // Without the knowledge the formal name stays as written.
        let got: Vec<String> = found_with(t, &SpeakerKnowledge::default()).into_iter().map(|f| f.canonical).collect();
        assert_eq!(got[0], "Ministry of Defense of the Russian Federation");
    }

    #[test]
    fn a_common_word_that_opens_a_sentence_is_no_first_name() {
        let t = "Internal Facebook posts often contain confidential information.\n\
                 The internal documents were shared widely.\n\
                 According to one former Facebook employee, the company has begun to limit access.\n\
                 Frances Haugen said the company put profits first.\n\
                 \"It is wrong,\" Haugen added.";
        let got: Vec<String> = claims(t).into_iter().map(|c| c.2).collect();
        assert_eq!(got, ["Facebook", "Frances Haugen", "Frances Haugen"]);
    }

    #[test]
    fn narration_and_scare_quotes_are_not_claims() {
        let t = "Russia launched 40 drones overnight.\nPutin's \"special military operation\" began in February.\nThe so-called peace plan stalled.\n\
                 Importantly, one of the providers, called Asiaciti, was founded by an accountant.\n\
                 Called Workplace, it is almost identical to the public version.\n\
                 Defense attorneys for the men charged were quick to pounce on the opportunity.\n\
                 On Tuesday, spokesman Ofir Gendelman posted a video on Twitter showing three men lying on the floor.";
        assert!(claims(t).is_empty(), "{:?}", claims(t));
        // A "called" in a list of what someone did is still a cue.
        let c = claims(
            "Alexander Strukov stood in the dock.\nHe insulted the judges, called military veterans \"bad names\" and left.",
        );
        assert_eq!(c.len(), 1, "{c:?}");
    }

    #[test]
    fn surnames_and_variants_resolve_to_the_full_name() {
        let t = "Russian Foreign Minister Sergey Lavrov arrived in Bali.\nLavrov said the West must accept responsibility.\nThe minister said talks were possible.";
        let c = claims(t);
        assert_eq!(c.iter().map(|x| x.2.as_str()).collect::<Vec<_>>(), ["Sergey Lavrov", "Sergey Lavrov"]);
    }

    #[test]
    fn a_run_on_line_full_of_cues_is_read_in_linear_time() {
        // One "sentence" of 400 KB with a cue every few words: each cue looks only CUE_WINDOW
        // around itself, so this is a few million steps rather than billions.
        let t = "the officials said that the plan would be ready soon and ".repeat(7000);
        // (No timing assertion: the quadratic version simply did not finish within minutes.)
        let f = find(&t, &[(Span::new(0, t.len()), 0)], &SpeakerKnowledge::default());
        assert_eq!((f.sentences, f.unread), (1, 0));
        assert!(!f.found.is_empty());
    }

    #[test]
    fn claim_finding_stops_at_the_deadline_and_says_how_much_is_unread() {
        let t = "The minister said the talks ended. ".repeat(50);
        let _past = crate::sandbox::DeadlineGuard::set(std::time::Instant::now());
        let f = find(&t, &[(Span::new(0, t.len()), 0)], &SpeakerKnowledge::default());
        assert_eq!((f.sentences, f.unread), (50, 50));
        assert!(f.found.is_empty());
    }
}
