//! Precompiled answers: the sections after the question, in final wire form,
//! computed once when the snapshot is built.
//!
//! An answer is written behind a question whose name is the name it was
//! compiled for (a node, the zone cut for referrals, the apex for negative
//! answers). Its compression pointers then point either into that question
//! or into the answer itself. At query time the real question name may be
//! longer (a name below a cut, below the apex, or matching a wildcard) but
//! always ends with the compiled name, so every pointer simply moves by the
//! difference in length. The one exception is a pointer to the whole
//! question name (offset 12) in an answer compiled for a wildcard: that
//! owner is the synthesised name, which is the real question, so it stays.
//!
//! The stored form of an answer is described in `compiled.rs`.

use hashbrown::HashTable;
use wire::header::HEADER_LEN;
use wire::name::MAX_NAME_LEN;
use wire::writer::Writer;
use wire::{Class, Rcode, Rtype};

use crate::compiled::{
    Compiled, FLAG_AUTHORITATIVE, FLAG_WILDCARD_QUESTION, NO_ANSWER, NodeAnswers, Precompiled,
    exact_hash, key_len, key_matches,
};
use crate::resolve::{Found, QueryOptions, Resolution, Transport};
use crate::snapshot::{
    FLAG_CNAME, FLAG_CUT, FLAG_DNAME, FLAG_OCCLUDED, FLAG_WILDCARD, FLAG_WILDCARD_CHILD, NodeId,
    Zone,
};

impl Compiled {
    fn default_of(&self, node: NodeId) -> Option<Precompiled<'_>> {
        match self.per_node[node as usize].default {
            NO_ANSWER => None,
            offset => Some(self.answer_at(offset)),
        }
    }
}

impl Zone {
    /// Compiles the answers of this snapshot, once; until this has run,
    /// [`Zone::precompiled`] returns `None` and every query takes the
    /// general path. Building a zone does this unless told not to, so a
    /// large transferred zone can be served first and compiled after.
    ///
    /// A patched version ([`Zone::apply`]) is never compiled: its answers
    /// would have to be compiled against the whole zone, which is what
    /// [`Zone::compacted`] does in the background.
    pub fn compile(&self) {
        if self.patch.is_none() && self.compiled.get().is_none() {
            let compiled = precompile(self);
            let _ = self.compiled.set(compiled);
        }
    }

    /// Whether [`Zone::compile`] has run.
    pub fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }

    /// The precompiled answer for `qname` (lower-case wire form, inside the
    /// zone) and `qtype`, or `None` when the query needs the general path
    /// (ANY, DNAME substitution, signed zones with DO, rare types on CNAME
    /// owners, or answers that were not compiled).
    #[inline]
    pub fn precompiled(&self, qname: &[u8], qtype: Rtype) -> Option<Precompiled<'_>> {
        if qtype == Rtype::ANY {
            return None;
        }
        let compiled = self.compiled.get()?;
        // Most queries name an existing owner and a type it has: one probe
        // into the exact table lands on the answer, whose key sits right in
        // front of it, so the check and the copy share cache lines.
        let rel = &qname[..qname.len() - self.apex.wire_len()];
        let hash = exact_hash(&self.base.hasher, rel, qtype);
        if let Some(&offset) = compiled.exact.find(hash, |&offset| {
            key_matches(&compiled.answers, offset, rel, qtype)
        }) {
            return Some(compiled.answer_at(offset + key_len(rel) as u32));
        }
        let (id, exists) = match self.find(qname) {
            Found::Exact(id) => (id, true),
            Found::Encloser(id) => (id, false),
        };
        let node = &self.base.nodes[id as usize];
        if node.flags & FLAG_OCCLUDED != 0 {
            return compiled.default_of(node.occluder);
        }
        if node.flags & FLAG_CUT != 0 && !(exists && qtype == Rtype::DS) {
            return compiled.default_of(id);
        }
        let source = if exists {
            id
        } else if node.flags & FLAG_DNAME != 0 {
            return None;
        } else if node.flags & FLAG_WILDCARD_CHILD != 0 {
            let rel = self.relative_name(id);
            let mut wildcard = [0u8; MAX_NAME_LEN];
            wildcard[0] = 1;
            wildcard[1] = b'*';
            wildcard[2..2 + rel.len()].copy_from_slice(rel);
            self.lookup_relative(&wildcard[..2 + rel.len()])?
        } else {
            return Some(compiled.answer_at(compiled.nxdomain_answer));
        };
        let entry = compiled.per_node[source as usize];
        let entries = &compiled.answer_index
            [entry.first as usize..entry.first as usize + entry.count as usize];
        for &(rtype, offset) in entries {
            if rtype == qtype {
                return Some(compiled.answer_at(offset));
            }
        }
        compiled.default_of(source)
    }
}

/// Compiles the answers of every node. Signed zones are compiled too: the
/// compiled answers are the DO=0 ones; DO=1 takes the general path.
fn precompile(zone: &Zone) -> Compiled {
    let mut compiler = Compiler::default();
    let apex_len = zone.apex.wire_len();
    let mut apex = [0u8; MAX_NAME_LEN];
    apex[..apex_len].copy_from_slice(zone.apex.as_wire());

    let mut negative = Resolution::default();
    negative.clear();
    negative.rcode = Rcode::NXDOMAIN;
    zone.push_soa(&mut negative.authority, false);
    let empty = || Compiled {
        answers: Vec::new(),
        exact: HashTable::new(),
        per_node: vec![
            NodeAnswers {
                first: 0,
                count: 0,
                default: NO_ANSWER
            };
            zone.base.nodes.len()
        ],
        answer_index: Vec::new(),
        nxdomain_answer: NO_ANSWER,
    };
    let Some(nxdomain) = compiler.compile(zone, &apex[..apex_len], false, &negative) else {
        return empty();
    };
    negative.rcode = Rcode::NOERROR;
    let Some(nodata) = compiler.compile(zone, &apex[..apex_len], false, &negative) else {
        return empty();
    };
    let mut answers = Vec::new();
    let nxdomain_answer = push_answer(&mut answers, &nxdomain);
    let nodata_answer = push_answer(&mut answers, &nodata);

    let mut answer_index = Vec::new();
    let mut per_node = Vec::with_capacity(zone.base.nodes.len());
    let mut exact: Vec<(u64, u32)> = Vec::new();
    let mut name = [0u8; MAX_NAME_LEN];
    for id in 0..zone.base.nodes.len() as NodeId {
        let node = zone.base.nodes[id as usize];
        let start = answer_index.len() as u32;
        let mut default_answer = NO_ANSWER;
        if node.flags & FLAG_OCCLUDED == 0 {
            let len = zone.full_name(id, &mut name);
            let name = &name[..len];
            let wildcard = node.flags & FLAG_WILDCARD != 0;
            let rel = zone.relative_name(id).to_vec();
            // Answers for this node's own name and one type: into the exact
            // table, keyed; wildcard nodes answer other names, so they are
            // found through the node instead.
            let mut store = |answers: &mut Vec<u8>,
                             answer_index: &mut Vec<(Rtype, u32)>,
                             rtype: Rtype,
                             compiled: &[u8]| {
                if wildcard {
                    answer_index.push((rtype, push_answer(answers, compiled)));
                } else {
                    let key_at = answers.len() as u32;
                    answers.push(rel.len() as u8);
                    answers.extend_from_slice(&rel);
                    answers.extend_from_slice(&rtype.0.to_be_bytes());
                    push_answer(answers, compiled);
                    exact.push((exact_hash(&zone.base.hasher, &rel, rtype), key_at));
                }
            };
            if node.flags & FLAG_CUT != 0 {
                if let Some(referral) =
                    compiler.resolve_and_compile(zone, name, Rtype::NS, wildcard)
                {
                    default_answer = push_answer(&mut answers, &referral);
                }
                if let Some(ds) = compiler.resolve_and_compile(zone, name, Rtype::DS, wildcard) {
                    store(&mut answers, &mut answer_index, Rtype::DS, &ds);
                }
            } else {
                let mut types: Vec<Rtype> = zone.node_rrsets(id).iter().map(|s| s.rtype).collect();
                if node.flags & FLAG_CNAME != 0 {
                    // Common types asked of CNAME owners; the rest take the
                    // general path, which follows the chain for any type.
                    for t in [Rtype::A, Rtype::AAAA] {
                        if !types.contains(&t) {
                            types.push(t);
                        }
                    }
                } else {
                    default_answer = nodata_answer;
                }
                for rtype in types {
                    if let Some(compiled) =
                        compiler.resolve_and_compile(zone, name, rtype, wildcard)
                    {
                        store(&mut answers, &mut answer_index, rtype, &compiled);
                    }
                }
            }
        }
        let count = answer_index.len() as u32 - start;
        per_node.push(NodeAnswers {
            first: start,
            count: count as u16,
            default: default_answer,
        });
    }
    let mut table = hashbrown::HashTable::with_capacity(exact.len());
    for (hash, offset) in exact {
        table.insert_unique(hash, offset, |&other| {
            let at = other as usize;
            let len = answers[at] as usize;
            let rtype = Rtype(u16::from_be_bytes([
                answers[at + 1 + len],
                answers[at + 2 + len],
            ]));
            exact_hash(&zone.base.hasher, &answers[at + 1..at + 1 + len], rtype)
        });
    }
    answers.shrink_to_fit();
    answer_index.shrink_to_fit();
    Compiled {
        answers,
        exact: table,
        per_node,
        answer_index,
        nxdomain_answer,
    }
}

fn push_answer(answers: &mut Vec<u8>, compiled: &[u8]) -> u32 {
    let offset = answers.len() as u32;
    answers.extend_from_slice(compiled);
    offset
}

/// Reusable buffers for compiling.
#[derive(Default)]
struct Compiler {
    message: Vec<u8>,
    pointers: Vec<u16>,
    resolution: Resolution,
    out: Vec<u8>,
}

impl Compiler {
    fn resolve_and_compile(
        &mut self,
        zone: &Zone,
        name: &[u8],
        qtype: Rtype,
        wildcard: bool,
    ) -> Option<Vec<u8>> {
        let options = QueryOptions {
            dnssec_ok: false,
            transport: Transport::Tcp,
        };
        let mut resolution = std::mem::take(&mut self.resolution);
        zone.resolve(name, qtype, options, &mut resolution);
        let compiled = self.compile(zone, name, wildcard, &resolution);
        self.resolution = resolution;
        compiled
    }

    /// Encodes `resolution` behind the question `name`; `None` if it does
    /// not fit a message or its pointers could not be relocated.
    fn compile(
        &mut self,
        zone: &Zone,
        name: &[u8],
        wildcard: bool,
        resolution: &Resolution,
    ) -> Option<Vec<u8>> {
        let mut writer = Writer::new(&mut self.message, u16::MAX as usize);
        writer.log_pointers(&mut self.pointers);
        writer.question(name, Rtype(0), Class::IN, !wildcard).ok()?;
        zone.encode(resolution, &mut writer).ok()?;
        let counts = writer.counts();
        writer.finish(0, 0);
        let body_start = HEADER_LEN + name.len() + 4;
        let body = &self.message[body_start..];
        if body.len() > u16::MAX as usize {
            return None;
        }
        self.out.clear();
        let mut flags = 0;
        if resolution.authoritative {
            flags |= FLAG_AUTHORITATIVE;
        }
        if wildcard {
            flags |= FLAG_WILDCARD_QUESTION;
        }
        self.out.push(flags);
        self.out.push(resolution.rcode.0 as u8);
        self.out.push(name.len() as u8);
        for count in counts {
            self.out.extend_from_slice(&count.to_be_bytes());
        }
        self.out
            .extend_from_slice(&(body.len() as u16).to_be_bytes());
        self.out
            .extend_from_slice(&(self.pointers.len() as u16).to_be_bytes());
        self.out.extend_from_slice(body);
        for &at in &self.pointers {
            self.out
                .extend_from_slice(&((at as usize - body_start) as u16).to_be_bytes());
        }
        Some(self.out.clone())
    }
}
