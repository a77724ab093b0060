//! Writing a [`Resolution`] into a message.

use wire::name::MAX_NAME_LEN;
use wire::writer::{self, Section, Writer};
use wire::{Class, Rtype};

use crate::resolve::{Item, Owner, Resolution};
use crate::snapshot::Zone;

/// The answer or authority section did not fit: the response must be
/// truncated (RFC 2181 §9), or in-domain glue did not fit (RFC 9471 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncated;

impl Zone {
    /// Writes the sections of `resolution` after the question already in
    /// `writer`. Additional records that do not fit are left out, except
    /// required glue; answer or authority records that do not fit give
    /// [`Truncated`] and the caller sends an empty, TC-flagged answer.
    pub fn encode(
        &self,
        resolution: &Resolution,
        writer: &mut Writer<'_>,
    ) -> Result<(), Truncated> {
        writer.set_section(Section::Answer);
        for item in &resolution.answer {
            self.write_item(item, resolution, writer)
                .map_err(|_| Truncated)?;
        }
        writer.set_section(Section::Authority);
        for item in &resolution.authority {
            self.write_item(item, resolution, writer)
                .map_err(|_| Truncated)?;
        }
        writer.set_section(Section::Additional);
        for (item, required) in &resolution.additional {
            let mark = writer.mark();
            if self.write_item(item, resolution, writer).is_err() {
                writer.rollback(mark);
                if *required {
                    return Err(Truncated);
                }
            }
        }
        Ok(())
    }

    fn write_item(
        &self,
        item: &Item,
        resolution: &Resolution,
        writer: &mut Writer<'_>,
    ) -> Result<(), writer::Full> {
        let mut name_buf = [0u8; MAX_NAME_LEN];
        match *item {
            Item::Rrset { owner, rrset } => {
                let owner = self.owner(owner, resolution, &mut name_buf);
                let set = self.rrset(rrset);
                for rdata in self.rdatas(rrset) {
                    writer.record(owner, set.rtype, Class::IN, set.ttl, rdata)?;
                }
            }
            Item::Signatures {
                owner,
                rrset,
                covered,
                max_ttl,
            } => {
                let owner = self.owner(owner, resolution, &mut name_buf);
                let set = self.rrset(rrset);
                for rdata in self.rdatas(rrset) {
                    if wire::rdata::rrsig_type_covered(rdata) == Some(covered) {
                        writer.record(
                            owner,
                            Rtype::RRSIG,
                            Class::IN,
                            set.ttl.min(max_ttl),
                            rdata,
                        )?;
                    }
                }
            }
            Item::NegativeSoa { rrset } => {
                let owner = self.owner(Owner::Node(self.apex_node), resolution, &mut name_buf);
                let set = self.rrset(rrset);
                let ttl = set.ttl.min(self.soa.minimum);
                for rdata in self.rdatas(rrset) {
                    writer.record(owner, Rtype::SOA, Class::IN, ttl, rdata)?;
                }
            }
            Item::SynthesizedCname { owner, ttl, target } => {
                let owner = self.owner(owner, resolution, &mut name_buf);
                let target = resolution.scratch_name(target.0, target.1);
                writer.record(owner, Rtype::CNAME, Class::IN, ttl, target)?;
            }
        }
        Ok(())
    }

    fn owner<'b>(
        &self,
        owner: Owner,
        resolution: &'b Resolution,
        buf: &'b mut [u8; MAX_NAME_LEN],
    ) -> writer::Owner<'b> {
        match owner {
            Owner::Question => writer::Owner::Question,
            Owner::Node(id) => {
                let len = self.full_name(id, buf);
                writer::Owner::Name(&buf[..len])
            }
            Owner::Scratch(offset, len) => {
                writer::Owner::Name(resolution.scratch_name(offset, len))
            }
        }
    }
}
