//! ONC RPC over TCP as a server sees it: record marking (RFC 5531 section 11),
//! call headers in, reply headers out. The fake server builds honest replies with
//! these and then breaks them on purpose.

use nfs3_types::rpc::{
    accept_stat_data, accepted_reply, fragment_header, msg_body, opaque_auth, reply_body, rpc_msg,
};
use nfs3_types::xdr_codec::{Pack, Unpack};
use std::io::{Cursor, Read, Write};

/// One decoded call: who it is for and its undecoded arguments.
pub struct Call {
    /// The caller's transaction id.
    pub xid: u32,
    /// RPC program number.
    pub prog: u32,
    /// Procedure number.
    pub proc: u32,
    /// The encoded arguments.
    pub args: Vec<u8>,
}

/// Largest call record the fake server takes: a client sending more is broken.
const MAX_CALL: usize = 2 << 20;

/// Reads one record (its fragments joined); `None` at end of stream or on a
/// malformed one.
pub fn read_record(stream: &mut impl Read) -> Option<Vec<u8>> {
    let mut record = Vec::new();
    loop {
        let mut header = [0u8; 4];
        stream.read_exact(&mut header).ok()?;
        let header = fragment_header::from(header);
        let length = header.fragment_length() as usize;
        if record.len() + length > MAX_CALL {
            return None;
        }
        let start = record.len();
        record.resize(start + length, 0);
        stream.read_exact(&mut record[start..]).ok()?;
        if header.eof() {
            return Some(record);
        }
    }
}

/// Decodes a call record's header; `None` if it is not a call.
pub fn parse_call(record: &[u8]) -> Option<Call> {
    let mut cursor = Cursor::new(record);
    let (message, _) = rpc_msg::unpack(&mut cursor).ok()?;
    let msg_body::CALL(call) = message.body else {
        return None;
    };
    Some(Call {
        xid: message.xid,
        prog: call.prog,
        proc: call.proc,
        args: record[cursor.position() as usize..].to_vec(),
    })
}

/// Decodes a call's arguments as `A`.
pub fn decode_args<A: Unpack>(call: &Call) -> Option<A> {
    A::unpack(&mut Cursor::new(&call.args[..]))
        .ok()
        .map(|(a, _)| a)
}

/// The body of an accepted reply (no record mark): the header with `status`, then
/// `result`.
pub fn reply_body(xid: u32, status: accept_stat_data, result: &impl Pack) -> Vec<u8> {
    let message = rpc_msg {
        xid,
        body: msg_body::REPLY(reply_body::MSG_ACCEPTED(accepted_reply {
            verf: opaque_auth::default(),
            reply_data: status,
        })),
    };
    let mut body = Vec::with_capacity(message.packed_size() + result.packed_size());
    message
        .pack(&mut body)
        .and_then(|_| result.pack(&mut body))
        .expect("packing into a Vec cannot fail");
    body
}

/// `body` as one record: a single fragment with the last-fragment bit.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut record = fragment_header::new(body.len() as u32, true)
        .into_xdr_buf()
        .to_vec();
    record.extend_from_slice(body);
    record
}

/// Writes `bytes` as they are (already framed, or deliberately not).
pub fn send(stream: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes)?;
    stream.flush()
}
