//! The machine's processes as /proc lists them: enough to find what a test started and check it is gone.

use std::{fs, io};

/// One process, from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// `R`, `S`, `D`, … and `Z` for one that exited and was not reaped yet.
    pub state: char,
    /// The process that started it (or adopted it).
    pub parent: u32,
    /// Its process group.
    pub group: u32,
    /// Its session.
    pub session: u32,
}

impl Process {
    /// Not exited (a zombie counts as gone: it holds no port, file or memory).
    pub fn live(&self) -> bool {
        self.state != 'Z'
    }
}

/// Every process now; one that ends while it is read is left out.
pub fn all() -> io::Result<Vec<Process>> {
    let mut processes = Vec::new();
    for entry in fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        if let Ok(stat) = fs::read_to_string(entry.path().join("stat")) {
            processes.extend(parse_stat(pid, &stat));
        }
    }
    Ok(processes)
}

/// "pid (comm) state ppid pgrp session …"; comm may hold spaces and parentheses.
fn parse_stat(pid: u32, stat: &str) -> Option<Process> {
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(Process {
        pid,
        state: fields.first()?.chars().next()?,
        parent: fields.get(1)?.parse().ok()?,
        group: fields.get(2)?.parse().ok()?,
        session: fields.get(3)?.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_name_with_spaces_and_parentheses_is_read_past() {
        let stat = "4242 (a (b) c) S 1 4240 4200 0 -1 4194560 0 0";
        assert_eq!(
            parse_stat(4242, stat),
            Some(Process {
                pid: 4242,
                state: 'S',
                parent: 1,
                group: 4240,
                session: 4200
            })
        );
        assert_eq!(parse_stat(1, "1 (init"), None);
    }

    /// The test's own session may be led from outside its PID namespace (a container: session 0), so the
    /// process read is one this test starts in a session of its own.
    #[test]
    fn a_process_in_its_own_session_is_listed_and_a_zombie_is_not_live() {
        let mut child = std::process::Command::new("setsid")
            .args(["sleep", "30"])
            .spawn()
            .expect("setsid sleep");
        let pid = child.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let found = loop {
            // setsid execs sleep in the same process once it has made the session.
            let found = all().unwrap().into_iter().find(|p| p.pid == pid);
            if found.is_some_and(|p| p.session == pid) || std::time::Instant::now() > deadline {
                break found.expect("the child is listed");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        assert_eq!((found.group, found.session), (pid, pid), "{found:?}");
        assert_eq!(found.parent, std::process::id(), "{found:?}");
        assert!(found.live());
        child.kill().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let state = all().unwrap().into_iter().find(|p| p.pid == pid).map(|p| p.state);
            if state == Some('Z') {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never became a zombie: {state:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!all().unwrap().into_iter().any(|p| p.pid == pid && p.live()));
        child.wait().unwrap();
        assert!(all().unwrap().into_iter().all(|p| p.pid != pid));
    }
}
