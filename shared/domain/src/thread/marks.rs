//! What may wait for the people on a thread: the classes of messages and each side's
//! reading marks, kept in the thread's state (`super::Marks`).

use super::{AuthorKind, Message, Reader};
use time::OffsetDateTime;

/// What may wait for the people on a thread (the beneficiary, the partner): each message
/// falls in one class, and the thread's state keeps the time of the latest message of each
/// class and, for each side, when it last read the thread's open part and the whole of it
/// (`Marks`). A side is never waiting for its own messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    AgentOpen,
    AgentConfidential,
    /// Always confidential.
    Beneficiary,
    /// Never confidential (another organisation's as well: at most one acts on a file).
    Partner,
}

impl Class {
    const ALL: [Class; 4] = [
        Class::AgentOpen,
        Class::AgentConfidential,
        Class::Beneficiary,
        Class::Partner,
    ];

    pub fn of(m: &Message) -> Class {
        match (m.author_kind, m.confidential) {
            (AuthorKind::Agent, false) => Class::AgentOpen,
            (AuthorKind::Agent, true) => Class::AgentConfidential,
            (AuthorKind::Beneficiary, _) => Class::Beneficiary,
            (AuthorKind::Partner, _) => Class::Partner,
        }
    }

    /// The state's attribute holding the time of the class's latest message.
    pub fn attribute(self) -> &'static str {
        match self {
            Class::AgentOpen => "latest_agent_open",
            Class::AgentConfidential => "latest_agent_confidential",
            Class::Beneficiary => "latest_beneficiary",
            Class::Partner => "latest_partner",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The people on the other side of the agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Beneficiary,
    Partner,
}

impl Side {
    const ALL: [Side; 2] = [Side::Beneficiary, Side::Partner];

    fn own(self) -> Class {
        match self {
            Side::Beneficiary => Class::Beneficiary,
            Side::Partner => Class::Partner,
        }
    }

    /// Whether this side reads `class` in the open part of the thread (`Message::visible_to`
    /// for the beneficiary at level 1, a partner not named guardian); the whole reads all.
    fn reads_openly(self, class: Class) -> bool {
        matches!(
            (self, class),
            (_, Class::AgentOpen)
                | (Side::Beneficiary, Class::Beneficiary | Class::Partner)
                | (Side::Partner, Class::Partner)
        )
    }

    /// The state's attribute holding when this side last read the open part, or the whole.
    pub fn read_attribute(self, whole: bool) -> &'static str {
        match (self, whole) {
            (Side::Beneficiary, false) => "beneficiary_read_open",
            (Side::Beneficiary, true) => "beneficiary_read_all",
            (Side::Partner, false) => "partner_read_open",
            (Side::Partner, true) => "partner_read_all",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl Reader {
    /// The side and whether it reads the whole thread; `None` for the agents.
    fn people(&self) -> Option<(Side, bool)> {
        match self {
            Reader::Agent => None,
            Reader::Beneficiary { level } => Some((Side::Beneficiary, *level >= 2)),
            Reader::Partner { guardian, .. } => Some((Side::Partner, *guardian)),
        }
    }
}

/// What a thread's state keeps for the people (`Class`): the latest message of each class,
/// when each side last read the open part and the whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    pub(super) latest: [Option<OffsetDateTime>; 4],
    pub(super) read: [[Option<OffsetDateTime>; 2]; 2],
}

impl Marks {
    /// Every attribute of the state that holds a mark.
    pub fn attributes() -> impl Iterator<Item = &'static str> {
        Class::ALL.iter().map(|c| c.attribute()).chain(
            Side::ALL
                .iter()
                .flat_map(|s| [s.read_attribute(false), s.read_attribute(true)]),
        )
    }

    /// Sets the mark stored under `attribute` (an unknown attribute is ignored).
    pub fn set(&mut self, attribute: &str, at: OffsetDateTime) {
        for c in Class::ALL {
            if c.attribute() == attribute {
                self.latest[c.index()] = Some(at);
            }
        }
        for s in Side::ALL {
            for whole in [false, true] {
                if s.read_attribute(whole) == attribute {
                    self.read[s.index()][usize::from(whole)] = Some(at);
                }
            }
        }
    }

    /// The mark a new message `m` moves: the latest of its class.
    pub fn posted(m: &Message) -> (&'static str, OffsetDateTime) {
        (Class::of(m).attribute(), m.at)
    }

    /// Whether `reader` has a message to read: one it may read, not its side's, newer than
    /// its side last read that part of the thread. Never for the agents (`unread_by_agents`).
    pub fn unread_for(&self, reader: &Reader) -> bool {
        let Some((side, whole)) = reader.people() else {
            return false;
        };
        Class::ALL.iter().any(|&c| {
            let openly = side.reads_openly(c);
            if c == side.own() || !(openly || whole) {
                return false;
            }
            let read = self.read[side.index()][usize::from(!openly)];
            matches!(self.latest[c.index()], Some(t) if read.is_none_or(|r| t > r))
        })
    }

    /// The marks `reader` moves by reading `messages` (the thread as it was read, so that a
    /// message written since stays to read): the time of the latest message it could read,
    /// for the open part and, reading the whole, for the whole; only those that move forward.
    pub fn after_reading(
        &self,
        reader: &Reader,
        messages: &[Message],
    ) -> Vec<(&'static str, OffsetDateTime)> {
        let Some((side, whole)) = reader.people() else {
            return Vec::new();
        };
        let Some(seen) = messages
            .iter()
            .filter(|m| m.visible_to(reader))
            .map(|m| m.at)
            .max()
        else {
            return Vec::new();
        };
        let parts: &[bool] = if whole { &[false, true] } else { &[false] };
        parts
            .iter()
            .filter(|&&w| self.read[side.index()][usize::from(w)].is_none_or(|r| seen > r))
            .map(|&w| (side.read_attribute(w), seen))
            .collect()
    }
}
