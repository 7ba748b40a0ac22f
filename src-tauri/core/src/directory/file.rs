//! `directory.json`: the imports, beside the config.

use super::*;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct DirectoryFile {
    schema_version: u32,
    #[serde(default)]
    imports: Vec<DirectoryImport>,
}

/// `directory.json`: read without a lock (writes are atomic renames), changed under a cross-process lock.
#[derive(Debug, Clone)]
pub struct Directory {
    path: PathBuf,
    lock_path: PathBuf,
}

impl Directory {
    /// The directory file beside a config file.
    pub fn beside(config: &store::Store) -> Self {
        Self::at(config.path().with_file_name(FILE_NAME))
    }

    pub fn at(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            lock_path: path.with_file_name(format!("{FILE_NAME}.lock")),
            path,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every import; none when there is no file yet. A corrupt file is copied aside and reported, never
    /// written over.
    pub fn load(&self) -> Result<Vec<DirectoryImport>, StoreError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(StoreError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        match serde_json::from_slice::<DirectoryFile>(&bytes) {
            Ok(file) if file.schema_version > SCHEMA_VERSION => Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: file.schema_version,
                supported: SCHEMA_VERSION,
            }),
            Ok(file) => Ok(file.imports),
            Err(source) => Err(StoreError::Corrupt {
                path: self.path.clone(),
                backup: store::back_up_corrupt(&self.path, &bytes)?,
                source,
            }),
        }
    }

    /// The import `id` (ignoring case), or the one import of the tenant called `id` (`contoso.com`).
    pub fn get(&self, id: &str) -> Result<DirectoryImport, DirectoryError> {
        let imports = self.load()?;
        if let Some(found) = imports.iter().find(|i| i.id.eq_ignore_ascii_case(id)) {
            return Ok(found.clone());
        }
        let mut of_tenant = imports
            .into_iter()
            .filter(|i| i.tenant_name.eq_ignore_ascii_case(id) || i.tenant_id.eq_ignore_ascii_case(id));
        match (of_tenant.next(), of_tenant.next()) {
            (Some(only), None) => Ok(only),
            (Some(_), Some(_)) => Err(DirectoryError::AmbiguousImport(id.to_owned())),
            _ => Err(DirectoryError::UnknownImport(id.to_owned())),
        }
    }

    /// Changes the imports under the lock and writes them atomically.
    pub fn update<T>(&self, change: impl FnOnce(&mut Vec<DirectoryImport>) -> T) -> Result<T, StoreError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            store::create_private_dir(dir)?;
        }
        let _lock = store::LockGuard::acquire(&self.lock_path, store::DEFAULT_LOCK_TIMEOUT)?;
        let mut imports = self.load()?;
        let out = change(&mut imports);
        let file = DirectoryFile {
            schema_version: SCHEMA_VERSION,
            imports,
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|source| StoreError::Encode { source })?;
        store::write_atomically(&self.path, &bytes)?;
        Ok(out)
    }

    /// Puts `import` in place of the one with its id, or adds it.
    pub(super) fn put(&self, import: DirectoryImport) -> Result<(), StoreError> {
        self.update(
            |imports| match imports.iter_mut().find(|i| i.id.eq_ignore_ascii_case(&import.id)) {
                Some(slot) => *slot = import,
                None => imports.push(import),
            },
        )
    }
}
