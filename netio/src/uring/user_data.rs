//! What a completion belongs to, packed into the 64-bit user data of its submission.

/// The operation behind a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// The multishot receive of the socket on `port`, armed as its `generation`-th socket
    /// (a port closed and bound again gets a new generation, so late completions of the
    /// old socket are told apart).
    Recv { port: u16, generation: u32 },
    /// The send from send buffer `slot`.
    Send { slot: u16 },
    /// A cancellation of a receive.
    Cancel,
    /// Anything else (never submitted by this crate).
    Unknown,
}

const KIND_SHIFT: u32 = 62;
const RECV: u64 = 1;
const SEND: u64 = 2;
const CANCEL: u64 = 3;

impl Token {
    /// The user data to submit with.
    pub(crate) fn encode(self) -> u64 {
        match self {
            Self::Recv { port, generation } => {
                (RECV << KIND_SHIFT) | (u64::from(generation) << 16) | u64::from(port)
            }
            Self::Send { slot } => (SEND << KIND_SHIFT) | u64::from(slot),
            Self::Cancel => CANCEL << KIND_SHIFT,
            Self::Unknown => 0,
        }
    }

    /// The token a completion's user data carries.
    pub(crate) fn decode(user_data: u64) -> Self {
        match user_data >> KIND_SHIFT {
            RECV => Self::Recv {
                port: user_data as u16,
                generation: (user_data >> 16) as u32,
            },
            SEND => Self::Send {
                slot: user_data as u16,
            },
            CANCEL => Self::Cancel,
            _ => Self::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for token in [
            Token::Recv {
                port: 0,
                generation: 0,
            },
            Token::Recv {
                port: 65535,
                generation: u32::MAX,
            },
            Token::Recv {
                port: 40000,
                generation: 7,
            },
            Token::Send { slot: 0 },
            Token::Send { slot: 1023 },
            Token::Cancel,
        ] {
            assert_eq!(Token::decode(token.encode()), token);
        }
        assert_eq!(Token::decode(0), Token::Unknown);
    }
}
