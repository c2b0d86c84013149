/*!
Encryption at rest. The case JSON (which holds the SSN, EIN, routing and
account numbers) and every stored blob (the W-9 prints the EIN; uploads are
the producer's own papers) are sealed with XChaCha20-Poly1305 under a data
key from configuration before they reach the database. Each row records the
id of the key that sealed it, so keys can be rotated: the first key of the
ring seals, every key of the ring opens, and `inkseal store rekey` moves old
rows to the first key.

The associated data binds a ciphertext to its place (the packet id for a
case, the content address for a blob), so a row copied over another one
does not decrypt.

A key file holds 64 hexadecimal digits (32 random bytes) on one line;
lines starting with `#` are comments. It must not be readable by others.
A key's id is a hash of the key, safe to store and log.
*/

use std::fmt;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest as _, Sha256};

/// The file a development data key is kept in, inside the keys folder.
pub const DEV_DATA_KEY_FILE: &str = "data-key.hex";

/// Format of a sealed value: this byte, the 24-byte nonce, then ciphertext and tag.
const FORMAT_V1: u8 = 1;
const NONCE_BYTES: usize = 24;

/// What can go wrong with data keys.
#[derive(Debug, thiserror::Error)]
pub enum DataKeyError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Others may read the key.
    #[error("{} is readable by other users (mode {mode:o}); run `chmod 600` on it", path.display())]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its mode.
        mode: u32,
    },
    /// The file does not hold a key.
    #[error("{} does not hold a data key: expected 64 hexadecimal digits on one line (create one with `inkseal keys data-key --out FILE`)", .0.display())]
    Malformed(PathBuf),
    /// The same key was given twice.
    #[error("data key {0} is configured twice")]
    Duplicate(String),
    /// No key at all.
    #[error("no data key configured")]
    Empty,
    /// The operating system gave no randomness.
    #[error("no randomness for a new key or nonce: {0}")]
    Random(String),
}

/// One 256-bit data key.
pub struct DataKey {
    id: String,
    cipher: XChaCha20Poly1305,
    bytes: [u8; 32],
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl Clone for DataKey {
    fn clone(&self) -> Self {
        Self::from_bytes(self.bytes)
    }
}

impl DataKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let digest = Sha256::digest([b"inkseal data key\n".as_slice(), &bytes].concat());
        let id = format!("dk_{}", hex::encode(&digest[..8]));
        Self { id, cipher: XChaCha20Poly1305::new(&bytes.into()), bytes }
    }

    /// A new random key.
    ///
    /// # Errors
    /// When the operating system has no randomness.
    pub fn generate() -> Result<Self, DataKeyError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| DataKeyError::Random(e.to_string()))?;
        Ok(Self::from_bytes(bytes))
    }

    /// The key's id (a hash of it, not secret).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Reads a key file, refusing one that others may read.
    ///
    /// # Errors
    /// When the file is missing, readable by others or not a key.
    pub fn load(path: &Path) -> Result<Self, DataKeyError> {
        use std::os::unix::fs::PermissionsExt as _;
        let io = |source| DataKeyError::Io { path: path.to_path_buf(), source };
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(DataKeyError::Permissions { path: path.to_path_buf(), mode });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        let (Some(line), None) = (lines.next(), lines.next()) else {
            return Err(DataKeyError::Malformed(path.to_path_buf()));
        };
        let bytes: [u8; 32] = hex::decode(line)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| DataKeyError::Malformed(path.to_path_buf()))?;
        Ok(Self::from_bytes(bytes))
    }

    /// Writes the key to a new file with mode 0600 (an existing file is left alone).
    ///
    /// # Errors
    /// When the file exists or cannot be written.
    pub fn write(&self, path: &Path, comment: &str) -> Result<(), DataKeyError> {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let io = |source| DataKeyError::Io { path: path.to_path_buf(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
        let text = format!("# {comment}\n# key id {}\n{}\n", self.id, hex::encode(self.bytes));
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)
    }

    /// The development key in `dir` ([`DEV_DATA_KEY_FILE`]), created on first use.
    ///
    /// # Errors
    /// When it cannot be created or read.
    pub fn development(dir: &Path) -> Result<(Self, bool), DataKeyError> {
        let path = dir.join(DEV_DATA_KEY_FILE);
        if path.exists() {
            return Ok((Self::load(&path)?, false));
        }
        let key = Self::generate()?;
        key.write(&path, "inkseal DEVELOPMENT data key: NOT FOR PRODUCTION")?;
        Ok((key, true))
    }
}

/// The data keys of a deployment: the first seals, all of them open.
#[derive(Clone, Debug)]
pub struct DataKeys {
    keys: Vec<DataKey>,
}

/// A value sealed for storage, with the id of the key that sealed it.
#[derive(Clone, Debug)]
pub struct Sealed {
    /// The key's id.
    pub key_id: String,
    /// Format byte, nonce, ciphertext and tag.
    pub bytes: Vec<u8>,
}

/// A stored value that does not open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Sealed with a key this ring does not hold.
    #[error("sealed with data key {0}, which is not configured (every replica needs the same INKSEAL_DATA_KEYS)")]
    UnknownKey(String),
    /// Altered, truncated, or moved from another row.
    #[error("does not decrypt: it was altered or belongs elsewhere")]
    Tampered,
}

impl DataKeys {
    /// A ring of keys, the first sealing.
    ///
    /// # Errors
    /// When it is empty or holds a key twice.
    pub fn new(keys: Vec<DataKey>) -> Result<Self, DataKeyError> {
        if keys.is_empty() {
            return Err(DataKeyError::Empty);
        }
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|other| other.id == k.id) {
                return Err(DataKeyError::Duplicate(k.id.clone()));
            }
        }
        Ok(Self { keys })
    }

    /// Loads key files, the first one sealing.
    ///
    /// # Errors
    /// When a file does not load, or a key is given twice.
    pub fn load(paths: &[PathBuf]) -> Result<Self, DataKeyError> {
        Self::new(paths.iter().map(|p| DataKey::load(p)).collect::<Result<_, _>>()?)
    }

    /// The id of the key that seals.
    pub fn active_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Whether the ring holds the key with this id.
    pub fn has(&self, id: &str) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    /// The ids of every key in the ring.
    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }

    /// Seals `plaintext` for the place named by `aad`.
    ///
    /// # Errors
    /// When the operating system has no randomness for the nonce.
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Sealed, DataKeyError> {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| DataKeyError::Random(e.to_string()))?;
        let ciphertext = key
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad })
            .map_err(|_| DataKeyError::Random("encryption failed".into()))?;
        let mut bytes = Vec::with_capacity(1 + NONCE_BYTES + ciphertext.len());
        bytes.push(FORMAT_V1);
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        Ok(Sealed { key_id: key.id.clone(), bytes })
    }

    /// Opens a value sealed by key `key_id` for the place named by `aad`.
    ///
    /// # Errors
    /// When the key is not in the ring, or the value does not decrypt.
    pub fn open(&self, key_id: &str, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, OpenError> {
        let key = self.keys.iter().find(|k| k.id == key_id).ok_or_else(|| OpenError::UnknownKey(key_id.to_owned()))?;
        let (Some(&FORMAT_V1), Some(nonce), Some(ciphertext)) =
            (sealed.first(), sealed.get(1..=NONCE_BYTES), sealed.get(1 + NONCE_BYTES..))
        else {
            return Err(OpenError::Tampered);
        };
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| OpenError::Tampered)?;
        key.cipher.decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad }).map_err(|_| OpenError::Tampered)
    }
}

/// What binds a packet's sealed case to that packet.
pub(crate) fn case_aad(packet_id: &str) -> Vec<u8> {
    format!("inkseal case\n{packet_id}").into_bytes()
}

/// What binds a sealed blob to its content address.
pub(crate) fn blob_aad(sha256: &str) -> Vec<u8> {
    format!("inkseal blob\n{sha256}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(seeds: &[u8]) -> DataKeys {
        DataKeys::new(seeds.iter().map(|s| DataKey::from_bytes([*s; 32])).collect()).unwrap()
    }

    #[test]
    fn seals_and_opens_and_binds_to_the_place() {
        let keys = ring(&[1]);
        let sealed = keys.seal(b"123-45-6789", b"here").unwrap();
        assert_eq!(sealed.key_id, keys.active_id());
        assert!(!sealed.bytes.windows(11).any(|w| w == b"123-45-6789"));
        assert_eq!(keys.open(&sealed.key_id, &sealed.bytes, b"here").unwrap(), b"123-45-6789");
        assert!(matches!(keys.open(&sealed.key_id, &sealed.bytes, b"there"), Err(OpenError::Tampered)));
        let mut flipped = sealed.bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(matches!(keys.open(&sealed.key_id, &flipped, b"here"), Err(OpenError::Tampered)));
        assert!(matches!(keys.open(&sealed.key_id, &sealed.bytes[..10], b"here"), Err(OpenError::Tampered)));
    }

    #[test]
    fn the_first_key_seals_and_every_key_opens() {
        let old = ring(&[1]);
        let sealed = old.seal(b"x", b"a").unwrap();
        let rotated = ring(&[2, 1]);
        assert_ne!(rotated.active_id(), sealed.key_id);
        assert_eq!(rotated.open(&sealed.key_id, &sealed.bytes, b"a").unwrap(), b"x");
        let new = ring(&[2]);
        assert!(matches!(new.open(&sealed.key_id, &sealed.bytes, b"a"), Err(OpenError::UnknownKey(_))));
        assert!(matches!(DataKeys::new(vec![]), Err(DataKeyError::Empty)));
        assert!(matches!(DataKeys::new(vec![DataKey::from_bytes([3; 32]), DataKey::from_bytes([3; 32])]), Err(DataKeyError::Duplicate(_))));
    }

    #[test]
    fn key_files_are_private_and_well_formed() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let (key, created) = DataKey::development(dir.path()).unwrap();
        assert!(created);
        let (again, created) = DataKey::development(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(key.id(), again.id());
        let path = dir.path().join(DEV_DATA_KEY_FILE);
        assert!(!format!("{key:?}").contains(&hex::encode(key.bytes)), "Debug never shows the key");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(DataKey::load(&path), Err(DataKeyError::Permissions { mode: 0o644, .. })));
        let bad = dir.path().join("bad.hex");
        std::fs::write(&bad, "abc\n").unwrap();
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(DataKey::load(&bad), Err(DataKeyError::Malformed(_))));
    }
}
