//! The desktop app's own choices, kept in `settings.json` in the data home: what closing the window does,
//! whether that was explained yet, and the mail bridge the app runs (started again at the next launch). And the
//! words for closing, so the window, the tray and the notification say the same thing.
//!
//! Closing the window keeps Mailgrant running by default: refresh tokens that nobody uses for 90 days die, and
//! access tokens, keep-alive and the 30/14/7-day expiry notifications all need a running process. A person must
//! never be left with an invisible process they can't stop, so the first close explains where Mailgrant went and
//! how to quit it — through the tray icon where the desktop shows one, and otherwise through the app's menu entry
//! (opening Mailgrant again brings the window back, which has Quit).

use serde::{Deserialize, Serialize};

use crate::store::{create_private_dir, write_atomically, StoreError};
use crate::DataHome;

/// The command-line flag the app starts with at login: no window, only the background work.
pub const START_HIDDEN_FLAG: &str = "--hidden";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DesktopSettings {
    /// Closing the window hides it and keeps tokens fresh; false: closing the window quits.
    pub keep_running_when_closed: bool,
    /// The first close was explained (once, ever).
    pub close_explained: bool,
    /// The mail bridge as it was last started in the app; `None`: off. A scanner's settings keep working after a
    /// restart or a log-in because the app starts it again, on the same ports.
    pub bridge: Option<BridgeSettings>,
}

impl Default for DesktopSettings {
    fn default() -> Self {
        Self {
            keep_running_when_closed: true,
            close_explained: false,
            bridge: None,
        }
    }
}

/// Where the app's mail bridge listens: a port per protocol (`None`: that protocol is off; 0: any free port), and
/// the network mode's address (`None`: this computer only, 127.0.0.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BridgeSettings {
    pub imap_port: Option<u16>,
    pub pop_port: Option<u16>,
    pub smtp_port: Option<u16>,
    pub lan_address: Option<String>,
}

/// What closing the main window does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseAction {
    /// Hide the window and keep running; `explain`: tell the user where Mailgrant went (the first time).
    Hide { explain: Option<Notice> },
    /// Quit the app.
    Quit,
}

/// A title and a body for a desktop notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

impl DesktopSettings {
    /// The settings in `home`; defaults when there are none. A file that can't be read is reported and left
    /// alone (never written over by [`Self::update`] until it reads again).
    pub fn load(home: &DataHome) -> Result<Self, StoreError> {
        match std::fs::read(Self::path(home)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(StoreError::rejected),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(StoreError::rejected(e)),
        }
    }

    /// Reads, changes and writes the settings atomically.
    pub fn update(home: &DataHome, change: impl FnOnce(&mut Self)) -> Result<Self, StoreError> {
        let mut settings = Self::load(home)?;
        change(&mut settings);
        let bytes = serde_json::to_vec_pretty(&settings).map_err(StoreError::rejected)?;
        create_private_dir(home.dir())?;
        write_atomically(&Self::path(home), &bytes)?;
        Ok(settings)
    }

    pub fn path(home: &DataHome) -> std::path::PathBuf {
        home.dir().join("settings.json")
    }

    /// What closing the window does now; `tray`: whether the desktop shows a tray icon.
    pub fn on_close(&self, tray: bool) -> CloseAction {
        if !self.keep_running_when_closed {
            return CloseAction::Quit;
        }
        CloseAction::Hide {
            explain: (!self.close_explained).then(|| close_notice(tray)),
        }
    }
}

/// The one-time explanation at the first close.
pub fn close_notice(tray: bool) -> Notice {
    let back = if tray {
        "Click its icon in the panel to open it again or to quit."
    } else {
        "Open Mailgrant from your applications menu to see it again; Quit is in its window, under Settings."
    };
    Notice {
        title: "Mailgrant keeps running".into(),
        body: format!(
            "Your mailboxes stay connected while the window is closed: tokens are refreshed and secrets watched. \
             {back} You can change this in Settings."
        ),
    }
}

/// WebKitGTK's switch for its DMA-BUF renderer, which draws pages with OpenGL (the GPU).
pub const DISABLE_DMABUF_RENDERER: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// Whether the window should draw its pages without WebKitGTK's DMA-BUF renderer: when OpenGL is Mesa's software
/// rasteriser (llvmpipe), as it is where the computer has no GPU render node — a virtual machine without 3D, a
/// remote desktop, a container, Xvfb — or where the user asked for software OpenGL. That renderer then has the CPU
/// emulate a GPU, and its cost grows with what the page draws: measured under Xvfb (2 cores, 8 alternating runs),
/// the welcome screen painted first at 621 ms with it and at 374 ms without, in 471 MiB against 388 MiB (WebKit,
/// network and app processes); a bare page at 480 and 367 ms. Chromium likewise rasterises on the CPU when its
/// OpenGL is a software one. A value the user set is left as it is.
///
/// `var` reads an environment variable; `dri` is the directory of the DRM devices (`/dev/dri`).
pub fn draw_without_gpu_renderer(var: impl Fn(&str) -> Option<String>, dri: &std::path::Path) -> bool {
    if var(DISABLE_DMABUF_RENDERER).is_some() {
        return false;
    }
    let software_gl = var("LIBGL_ALWAYS_SOFTWARE").is_some_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
        || var("GALLIUM_DRIVER").is_some_and(|d| matches!(d.as_str(), "llvmpipe" | "softpipe" | "swr"));
    let render_node = std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    });
    software_gl || !render_node
}

/// Turns WebKitGTK's DMA-BUF renderer off where [`draw_without_gpu_renderer`] says so. The desktop app calls it
/// first, before GTK starts and before any other thread: WebKit's processes read the variable when they start.
#[cfg(target_os = "linux")]
pub fn choose_renderer() {
    if draw_without_gpu_renderer(|key| std::env::var(key).ok(), std::path::Path::new("/dev/dri")) {
        std::env::set_var(DISABLE_DMABUF_RENDERER, "1");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home() -> (tempfile::TempDir, DataHome) {
        let dir = tempfile::tempdir().unwrap();
        let home = DataHome::resolve(Some(dir.path().join("home")), None).unwrap();
        (dir, home)
    }

    #[test]
    fn the_first_close_hides_and_explains_once_and_later_ones_only_hide() {
        let (_dir, home) = home();
        let settings = DesktopSettings::load(&home).unwrap();
        let CloseAction::Hide {
            explain: Some(notice),
        } = settings.on_close(false)
        else {
            panic!("the first close explains: {:?}", settings.on_close(false));
        };
        assert!(notice.body.contains("applications menu"), "{}", notice.body);
        let CloseAction::Hide {
            explain: Some(with_tray),
        } = settings.on_close(true)
        else {
            panic!("with a tray too");
        };
        assert!(with_tray.body.contains("icon in the panel"), "{}", with_tray.body);

        let settings = DesktopSettings::update(&home, |s| s.close_explained = true).unwrap();
        assert_eq!(settings.on_close(true), CloseAction::Hide { explain: None });
        assert_eq!(
            DesktopSettings::load(&home).unwrap(),
            settings,
            "written to settings.json"
        );
    }

    #[test]
    fn closing_quits_when_the_user_chose_so() {
        let (_dir, home) = home();
        let settings = DesktopSettings::update(&home, |s| s.keep_running_when_closed = false).unwrap();
        assert_eq!(settings.on_close(true), CloseAction::Quit);
    }

    #[test]
    fn a_corrupt_file_is_an_error_and_is_not_written_over() {
        let (_dir, home) = home();
        std::fs::create_dir_all(home.dir()).unwrap();
        std::fs::write(DesktopSettings::path(&home), b"{not json").unwrap();
        let unreadable = |err: StoreError| match err {
            StoreError::Rejected { source } => source.to_string(),
            other => panic!("{other:?}"),
        };
        let expected = "key must be a string at line 1 column 2";
        assert_eq!(unreadable(DesktopSettings::load(&home).unwrap_err()), expected);
        assert_eq!(
            unreadable(DesktopSettings::update(&home, |s| s.close_explained = true).unwrap_err()),
            expected
        );
        assert_eq!(std::fs::read(DesktopSettings::path(&home)).unwrap(), b"{not json");
    }

    /// Environment variables, the DRM directory, whether the renderer goes off, and why.
    type Case<'a> = (
        &'static [(&'static str, &'static str)],
        &'a std::path::Path,
        bool,
        &'static str,
    );

    #[test]
    fn pages_draw_without_the_gpu_renderer_only_where_opengl_is_software() {
        let dir = tempfile::tempdir().unwrap();
        let (gpu, none) = (dir.path().join("gpu"), dir.path().join("none"));
        std::fs::create_dir_all(&gpu).unwrap();
        std::fs::create_dir_all(&none).unwrap();
        std::fs::write(gpu.join("card0"), b"").unwrap();
        std::fs::write(gpu.join("renderD128"), b"").unwrap();
        std::fs::write(none.join("card0"), b"").unwrap(); // a display without a GPU (simpledrm, bochs)
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| (*v).to_owned())
            }
        };

        let absent = dir.path().join("absent");
        #[rustfmt::skip]
        let cases: &[Case<'_>] = &[
            (&[], &gpu, false, "a GPU: WebKit's default"),
            (&[], &none, true, "no render node"),
            (&[], &absent, true, "no /dev/dri at all"),
            (&[("LIBGL_ALWAYS_SOFTWARE", "1")], &gpu, true, "software OpenGL asked for"),
            (&[("LIBGL_ALWAYS_SOFTWARE", "0")], &gpu, false, "software OpenGL not asked for"),
            (&[("GALLIUM_DRIVER", "llvmpipe")], &gpu, true, "Mesa's software driver"),
            (&[("GALLIUM_DRIVER", "radeonsi")], &gpu, false, "a GPU's driver"),
            // The user's own choice stands, either way.
            (&[(DISABLE_DMABUF_RENDERER, "0")], &none, false, "the user keeps the renderer"),
            (&[(DISABLE_DMABUF_RENDERER, "1")], &none, false, "the user turned it off already"),
        ];
        for &(vars, dri, expected, why) in cases {
            assert_eq!(draw_without_gpu_renderer(env(vars), dri), expected, "{why}");
        }
    }
}
