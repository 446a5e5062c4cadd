//! The ng control protocol of rtpengine: bencoded dictionaries over UDP, each message
//! prefixed by a cookie that the reply repeats.

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// A bencoded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Int(i64),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Dict(BTreeMap<String, Value>),
}

impl Value {
    /// A string value.
    pub(crate) fn text(text: &str) -> Self {
        Self::Bytes(text.as_bytes().to_vec())
    }

    /// A dictionary from `(key, value)` pairs.
    pub(crate) fn dict<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Self {
        Self::Dict(
            entries
                .into_iter()
                .map(|(key, value)| (key.to_string(), value))
                .collect(),
        )
    }

    /// The entry `key` of a dictionary, as text.
    pub(crate) fn get_text(&self, key: &str) -> Option<String> {
        match self {
            Self::Dict(map) => match map.get(key) {
                Some(Self::Bytes(bytes)) => Some(String::from_utf8_lossy(bytes).into_owned()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Appends the encoding (dictionary keys sorted, as bencode wants).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Int(n) => out.extend_from_slice(format!("i{n}e").as_bytes()),
            Self::Bytes(bytes) => {
                out.extend_from_slice(format!("{}:", bytes.len()).as_bytes());
                out.extend_from_slice(bytes);
            }
            Self::List(items) => {
                out.push(b'l');
                items.iter().for_each(|item| item.encode(out));
                out.push(b'e');
            }
            Self::Dict(map) => {
                out.push(b'd');
                for (key, value) in map {
                    Self::Bytes(key.as_bytes().to_vec()).encode(out);
                    value.encode(out);
                }
                out.push(b'e');
            }
        }
    }

    /// Decodes one value from the front of `input`; returns it and the rest.
    pub(crate) fn decode(input: &[u8]) -> Option<(Self, &[u8])> {
        match input.first()? {
            b'i' => {
                let end = input.iter().position(|&b| b == b'e')?;
                let n = std::str::from_utf8(input.get(1..end)?).ok()?.parse().ok()?;
                Some((Self::Int(n), input.get(end + 1..)?))
            }
            b'l' => {
                let mut rest = input.get(1..)?;
                let mut items = Vec::new();
                while rest.first()? != &b'e' {
                    let (item, after) = Self::decode(rest)?;
                    items.push(item);
                    rest = after;
                }
                Some((Self::List(items), rest.get(1..)?))
            }
            b'd' => {
                let mut rest = input.get(1..)?;
                let mut map = BTreeMap::new();
                while rest.first()? != &b'e' {
                    let (Self::Bytes(key), after) = Self::decode(rest)? else {
                        return None;
                    };
                    let (value, after) = Self::decode(after)?;
                    map.insert(String::from_utf8(key).ok()?, value);
                    rest = after;
                }
                Some((Self::Dict(map), rest.get(1..)?))
            }
            b'0'..=b'9' => {
                let colon = input.iter().position(|&b| b == b':')?;
                let len: usize = std::str::from_utf8(input.get(..colon)?)
                    .ok()?
                    .parse()
                    .ok()?;
                let bytes = input.get(colon + 1..colon + 1 + len)?;
                Some((Self::Bytes(bytes.to_vec()), input.get(colon + 1 + len..)?))
            }
            _ => None,
        }
    }
}

/// A client of one rtpengine's ng port.
pub(crate) struct Client {
    socket: UdpSocket,
    server: SocketAddr,
    next_cookie: u64,
}

impl Client {
    pub(crate) fn new(server: SocketAddr) -> std::io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        socket.set_read_timeout(Some(Duration::from_millis(500)))?;
        Ok(Self {
            socket,
            server,
            next_cookie: 1,
        })
    }

    /// Sends `command` and returns the reply, trying up to 4 times; `None` if none
    /// came.
    pub(crate) fn request(&mut self, command: &Value) -> Option<Value> {
        let cookie = format!("mn{}", self.next_cookie);
        self.next_cookie += 1;
        let mut message = format!("{cookie} ").into_bytes();
        command.encode(&mut message);
        let mut reply = vec![0u8; 65536];
        for _ in 0..4 {
            self.socket.send_to(&message, self.server).ok()?;
            while let Ok(len) = self.socket.recv(&mut reply) {
                let Some(body) = reply[..len].strip_prefix(format!("{cookie} ").as_bytes()) else {
                    continue;
                };
                return Value::decode(body).map(|(value, _)| value);
            }
        }
        None
    }
}
