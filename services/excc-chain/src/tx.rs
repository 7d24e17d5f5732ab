//! Just enough of the Decred/EXCC transaction format to read tickets: the
//! prefix (inputs and outputs) and, when present, the witness input values.
//! The transaction id is SHA-256 of the prefix serialization.

use crate::amount::Amount;
use crate::error::ChainError;
use crate::hash::ChainHash;

/// Serialization type in the upper 16 bits of the version field.
const SER_FULL: u16 = 0;
const SER_NO_WITNESS: u16 = 1;
const SER_ONLY_WITNESS: u16 = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxIn {
    pub prev_hash: ChainHash,
    pub prev_index: u32,
    pub tree: u8,
    pub sequence: u32,
    /// From the witness; `None` when the transaction had no witness data.
    pub value_in: Option<Amount>,
    pub block_height: u32,
    pub block_index: u32,
    pub signature_script: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxOut {
    pub value: Amount,
    pub script_version: u16,
    pub pk_script: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    pub version: u16,
    pub inputs: Vec<TxIn>,
    pub outputs: Vec<TxOut>,
    pub lock_time: u32,
    pub expiry: u32,
    /// The id (SHA-256 of the prefix).
    pub txid: ChainHash,
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ChainError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        let end = end.ok_or_else(|| ChainError::Tx(format!("truncated at byte {}", self.pos)))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, ChainError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, ChainError> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().expect("2")))
    }
    fn u32(&mut self) -> Result<u32, ChainError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4")))
    }
    fn i64(&mut self) -> Result<i64, ChainError> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().expect("8")))
    }
    fn varint(&mut self) -> Result<u64, ChainError> {
        Ok(match self.u8()? {
            0xfd => u64::from(self.u16()?),
            0xfe => u64::from(self.u32()?),
            0xff => u64::from_le_bytes(self.take(8)?.try_into().expect("8")),
            n => u64::from(n),
        })
    }
    /// A count bounded by what the remaining bytes could possibly hold.
    fn count(&mut self, min_item: usize) -> Result<usize, ChainError> {
        let n = self.varint()?;
        let left = (self.buf.len() - self.pos) / min_item.max(1);
        if n > left as u64 {
            return Err(ChainError::Tx(format!("count {n} exceeds the data")));
        }
        Ok(n as usize)
    }
    fn bytes(&mut self) -> Result<Vec<u8>, ChainError> {
        let n = self.count(1)?;
        Ok(self.take(n)?.to_vec())
    }
}

impl Transaction {
    pub fn from_hex(s: &str) -> Result<Self, ChainError> {
        let bytes = hex::decode(s.trim()).map_err(|e| ChainError::Tx(e.to_string()))?;
        Self::parse(&bytes)
    }

    /// Parses a full or prefix-only serialized transaction.
    pub fn parse(buf: &[u8]) -> Result<Self, ChainError> {
        let mut r = Reader { buf, pos: 0 };
        let ver = r.u32()?;
        let (version, ser) = (ver as u16, (ver >> 16) as u16);
        if ser >= SER_ONLY_WITNESS {
            return Err(ChainError::Tx(format!(
                "serialization type {ser} has no prefix"
            )));
        }
        let n_in = r.count(41)?;
        let mut inputs = Vec::with_capacity(n_in);
        for _ in 0..n_in {
            let prev_hash = ChainHash(r.take(32)?.try_into().expect("32"));
            inputs.push(TxIn {
                prev_hash,
                prev_index: r.u32()?,
                tree: r.u8()?,
                sequence: r.u32()?,
                value_in: None,
                block_height: 0,
                block_index: 0,
                signature_script: Vec::new(),
            });
        }
        let n_out = r.count(11)?;
        let mut outputs = Vec::with_capacity(n_out);
        for _ in 0..n_out {
            outputs.push(TxOut {
                value: Amount(r.i64()?),
                script_version: r.u16()?,
                pk_script: r.bytes()?,
            });
        }
        let lock_time = r.u32()?;
        let expiry = r.u32()?;
        let prefix_end = r.pos;
        if ser == SER_FULL {
            let n_wit = r.count(17)?;
            if n_wit != inputs.len() {
                return Err(ChainError::Tx(format!(
                    "{n_wit} witnesses for {} inputs",
                    inputs.len()
                )));
            }
            for input in &mut inputs {
                input.value_in = Some(Amount(r.i64()?));
                input.block_height = r.u32()?;
                input.block_index = r.u32()?;
                input.signature_script = r.bytes()?;
            }
        }
        if r.pos != buf.len() {
            return Err(ChainError::Tx(format!(
                "{} trailing bytes",
                buf.len() - r.pos
            )));
        }
        // The id hashes the prefix with the no-witness serialization type.
        let mut prefix = Vec::with_capacity(prefix_end);
        prefix.extend_from_slice(
            &(u32::from(version) | (u32::from(SER_NO_WITNESS) << 16)).to_le_bytes(),
        );
        prefix.extend_from_slice(&buf[4..prefix_end]);
        Ok(Transaction {
            version,
            inputs,
            outputs,
            lock_time,
            expiry,
            txid: ChainHash::of(&prefix),
        })
    }

    /// Sum of output values.
    pub fn output_total(&self) -> Amount {
        Amount(self.outputs.iter().map(|o| o.value.atoms()).sum())
    }
}
