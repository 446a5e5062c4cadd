//! `sip.register_without_auth` through the real binary: off (the default) a REGISTER is
//! challenged; on, a REGISTER binds the address of record its `To` names at once, even for
//! a user nobody provisioned, while an INVITE is still challenged.

mod sip_support;
mod support;

use sip_support::*;
use support::*;

fn register(uac: &mut Uac, user: &str, domain: &str) -> SipText {
    let (transport, local) = uac.local();
    uac.send(&format!(
        "REGISTER sip:{domain} SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {local};branch={}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{user}@{domain}>;tag={}\r\n\
         To: <sip:{user}@{domain}>\r\n\
         Call-ID: {}\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <sip:{user}@{local}>\r\n\
         Expires: 300\r\n\
         Content-Length: 0\r\n\r\n",
        new_branch(),
        random_hex(4),
        random_hex(8),
    ));
    uac.final_response("REGISTER")
}

fn node(dir: &std::path::Path, extra_sip: &str) -> SipNode {
    SipNode::start(&SipNodeSetup {
        dir,
        users: &[("alice", "wonderland")],
        algorithms: "[\"MD5\"]",
        media_ports: (36620, 36629),
        tls: None,
        extra_sip,
    })
}

#[test]
fn register_is_challenged_unless_the_config_opens_it() {
    let dir = scratch_dir("sip-register-closed");
    let closed = node(&dir, "");
    let mut uac = Uac::udp(closed.sip, "alice", "wonderland");
    let answer = register(&mut uac, "alice", "medianode.test");
    assert_eq!(answer.status(), 401, "{answer:?}");
    drop(closed);

    let dir = scratch_dir("sip-register-open");
    let open = node(&dir, "register_without_auth = true\n");
    let mut uac = Uac::udp(open.sip, "carol", "");
    let answer = register(&mut uac, "carol", "medianode.test");
    assert_eq!(answer.status(), 200, "{answer:?}\n{}", open.process.log());
    let (_, local) = uac.local();
    let contact = answer.header("Contact").unwrap_or_default();
    assert!(
        contact.contains(&format!("sip:carol@{local}")) && contact.contains("expires="),
        "the 200 lists the new binding: {contact}"
    );

    let mut call = ClientCall::new(&format!("sip:conference@{}", open.sip));
    call.cseq = 1;
    let target = call.target.clone();
    uac.send(&call.request(&uac, "INVITE", &target, &new_branch(), "", ""));
    let challenged = uac.final_response("INVITE");
    assert_eq!(challenged.status(), 401, "INVITE stays authenticated");
}
