//! Vote bits a user may choose (legacy `IsValidVoteBits`): bit 0 (approve the previous
//! block) must be set, each agenda's masked bits must be one of its choices, and no bit
//! outside bit 0 and the agendas' choices may be set. EXCC defines no agendas for the
//! wallet vote versions in use, so today only `1` is valid.

/// One choice of an agenda.
#[derive(Clone, Debug)]
pub struct Choice {
    pub id: &'static str,
    pub bits: u16,
}

/// An agenda users vote on.
#[derive(Clone, Debug)]
pub struct Agenda {
    pub id: &'static str,
    pub mask: u16,
    pub choices: &'static [Choice],
}

/// The agendas of `vote_version` on EXCC (none).
pub fn agendas(_vote_version: u32) -> &'static [Agenda] {
    &[]
}

/// Whether `bits` are a valid choice for `agendas`.
pub fn valid(bits: u16, agendas: &[Agenda]) -> bool {
    if bits == 1 {
        return true;
    }
    if bits & 1 == 0 {
        return false;
    }
    let mut allowed = 1u16;
    for a in agendas {
        if !a.choices.iter().any(|c| c.bits == bits & a.mask) && bits & a.mask != 0 {
            return false;
        }
        for c in a.choices {
            allowed |= c.bits;
        }
    }
    bits & !allowed == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREASURY: Agenda = Agenda {
        id: "treasury",
        mask: 0b110,
        choices: &[
            Choice {
                id: "abstain",
                bits: 0,
            },
            Choice {
                id: "no",
                bits: 0b010,
            },
            Choice {
                id: "yes",
                bits: 0b100,
            },
        ],
    };

    #[test]
    fn excc_today_accepts_only_one() {
        let none = agendas(10);
        assert!(valid(1, none));
        for bits in [0, 2, 3, 5, 0x8001, u16::MAX] {
            assert!(!valid(bits, none), "{bits}");
        }
    }

    #[test]
    fn agenda_choices() {
        let a = [TREASURY];
        assert!(valid(1, &a));
        assert!(valid(0b011, &a));
        assert!(valid(0b101, &a));
        assert!(!valid(0b111, &a), "two choices at once");
        assert!(!valid(0b100, &a), "bit 0 unset");
        assert!(!valid(0b1001, &a), "a bit outside every agenda");
        assert_eq!(TREASURY.choices[2].id, "yes");
        assert_eq!(TREASURY.id, "treasury");
    }
}
