//! Rules as configured: what `[[rules]]` says, before it is compiled into a
//! [`Classifier`](super::Classifier).

/// The parts of an item a rule can look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Title,
    Summary,
    Content,
    Categories,
    Link,
    Source,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::Title,
        Field::Summary,
        Field::Content,
        Field::Categories,
        Field::Link,
        Field::Source,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Content => "content",
            Field::Categories => "categories",
            Field::Link => "link",
            Field::Source => "source",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// One `[[rules]]` entry. A rule *matches* an item in its scope (`sources`, `languages`)
/// when any of its matchers (`keywords`, `regex`, `case_code`) finds something in one of
/// its `fields` and none of its `unless` phrases does; a rule with no matcher matches
/// every item in its scope.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleConfig {
    pub name: String,
    /// Phrases, any of which matches (case-, accent- and word-boundary-aware; a trailing
    /// `*` on a word matches any ending).
    pub keywords: Vec<String>,
    /// Regular expressions (Rust `regex` syntax) over the fields' plain text, unfolded.
    pub regex: Vec<String>,
    /// Matches when the item carries an Observatory or SOS-Torture case code.
    pub case_code: bool,
    /// Where to look; all text fields when the rule does not say.
    pub fields: Vec<Field>,
    /// Globs on source ids (`omct-*`); every source when empty.
    pub sources: Vec<String>,
    /// Primary language tags (`ro`); every item when empty. An item whose language is
    /// unknown is outside a rule that names languages.
    pub languages: Vec<String>,
    /// Veto phrases: when one matches in the rule's fields, the rule does not.
    pub unless: Vec<String>,
    /// Added to the item's score when the rule matches.
    pub weight: f64,
    /// A category added to the items the rule matches.
    pub tag: Option<String>,
    /// Items the rule matches are neither stored nor published.
    pub drop: bool,
    /// What a reader is told when the rule matches ("Arrest or detention named in the
    /// title"): shown on the page and in the feeds' summary line; the name and the
    /// evidence stay for `items --json` and JSON Feed's `_tocsin`.
    pub label: Option<String>,
}
