//! Test support: a private OpenLDAP `slapd` on a free port, with a temporary config directory and
//! an mdb database for `dc=example,dc=com`, killed on drop.
//!
//! Reuse it from another crate's tests (e.g. `crates/roster/tests`) with
//!
//! ```ignore
//! #[path = "../../roster-sources/tests/support/slapd.rs"]
//! mod slapd;
//! ```
//!
//! It needs only `tempfile` (a dev-dependency) and Debian's `slapd` and `ldap-utils`
//! (`scripts/test-tools.sh` installs them). Everything is blocking `std::process`, so it works from
//! sync and async tests alike.
//!
//! Two accounts exist: the root DN (not subject to size limits) and a plain reader
//! (`cn=reader,dc=example,dc=com`) that is subject to slapd's default size limit of 500 for
//! plain searches but may read everything with the Paged Results control
//! (`limits ... size.prtotal=unlimited`), the way an import's service account should be set up.
//! `cn=limited-reader` (same password) lacks that grant.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SUFFIX: &str = "dc=example,dc=com";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=com";
pub const ROOT_PASSWORD: &str = "root-Secret-1";
pub const READER_DN: &str = "cn=reader,dc=example,dc=com";
pub const READER_PASSWORD: &str = "reader-Secret-2";
/// A reader without the paged-results grant: slapd's default caps even its paged searches at
/// 500 entries in total (`size.prtotal` defaults to the hard limit).
pub const LIMITED_READER_DN: &str = "cn=limited-reader,dc=example,dc=com";
pub const PEOPLE_DN: &str = "ou=people,dc=example,dc=com";
pub const GROUPS_DN: &str = "ou=groups,dc=example,dc=com";

/// How to start the server.
#[derive(Default)]
pub struct SlapdOptions {
    /// Also listen on `ldaps://` and offer StartTLS, with a certificate for `127.0.0.1` and
    /// `localhost` signed by a CA generated for this server (`Slapd::ca_pem`).
    pub tls: bool,
    /// LDIF loaded with `slapadd` before the server starts (fast for large data sets), after the
    /// base entries (suffix, reader, `ou=people`, `ou=groups`).
    pub initial_ldif: Option<PathBuf>,
    /// Also load Debian's `msuser.schema` (Active Directory's `user`, `group`, binary
    /// `objectGUID`), to imitate an AD domain.
    pub ad_schema: bool,
}

/// A running private `slapd`. Killed on drop.
pub struct Slapd {
    /// `ldap://127.0.0.1:<port>`
    pub url: String,
    /// `ldaps://127.0.0.1:<port>` when started with `tls`.
    pub ldaps_url: Option<String>,
    /// The CA certificate (PEM) that signed the server's certificate, when started with `tls`.
    pub ca_pem: Option<String>,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

/// Where Debian puts the programs (`/usr/sbin` is not always on `PATH`).
fn program(name: &str) -> Option<PathBuf> {
    for dir in [
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
    ] {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    None
}

/// Whether `slapd`, `slapadd` and `ldapadd` are installed.
pub fn available() -> bool {
    ["slapd", "slapadd", "ldapadd", "ldapmodify"]
        .iter()
        .all(|p| program(p).is_some())
}

/// `true` when the test may run; prints why not otherwise. Set `ROSTER_TEST_REQUIRE_SLAPD=1`
/// (CI) to turn a missing OpenLDAP into a failure instead of a skip.
pub fn available_or_skip(test: &str) -> bool {
    if available() {
        return true;
    }
    if std::env::var_os("ROSTER_TEST_REQUIRE_SLAPD").is_some() {
        panic!("{test}: slapd/ldap-utils are not installed; run scripts/test-tools.sh");
    }
    eprintln!("skipping {test}: slapd/ldap-utils are not installed; run scripts/test-tools.sh");
    false
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    if !out.status.success() {
        panic!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The base entries every server starts with.
pub fn base_ldif() -> String {
    format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
         dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: {READER_PASSWORD}\n\n\
         dn: {LIMITED_READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: limited-reader\nuserPassword: {READER_PASSWORD}\n\n\
         dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: {GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups\n\n"
    )
}

/// One `inetOrgPerson` under `ou=people` with uid, names and mail `<uid>@example.com`.
pub fn person_ldif(uid: &str, given: &str, family: &str) -> String {
    format!(
        "dn: uid={uid},{PEOPLE_DN}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {given} {family}\n\
         givenName: {given}\nsn: {family}\nmail: {uid}@example.com\n\n"
    )
}

/// `n` people `user000000`..: `person_ldif` for each.
pub fn people_ldif(n: usize) -> String {
    let mut s = String::with_capacity(n * 200);
    for i in 0..n {
        let uid = format!("user{i:06}");
        let _ = write!(s, "{}", person_ldif(&uid, "Given", &format!("Family{i}")));
    }
    s
}

/// A `groupOfNames` under `ou=groups` whose members are the given uids under `ou=people`
/// (a group with no members gets the suffix as its member, as `groupOfNames` requires one).
pub fn group_ldif(cn: &str, description: &str, member_uids: &[&str]) -> String {
    let mut s = format!(
        "dn: cn={cn},{GROUPS_DN}\nobjectClass: groupOfNames\ncn: {cn}\ndescription: {description}\n"
    );
    if member_uids.is_empty() {
        let _ = writeln!(s, "member: {SUFFIX}");
    }
    for uid in member_uids {
        let _ = writeln!(s, "member: uid={uid},{PEOPLE_DN}");
    }
    s.push('\n');
    s
}

impl Slapd {
    pub fn start(opts: SlapdOptions) -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("db")).unwrap();
        let (ca_pem, tls_conf) = if opts.tls {
            make_certificates(d);
            (
                Some(std::fs::read_to_string(d.join("ca.pem")).unwrap()),
                format!(
                    "TLSCACertificateFile {0}/ca.pem\nTLSCertificateFile {0}/server.pem\n\
                     TLSCertificateKeyFile {0}/server.key\n",
                    d.display()
                ),
            )
        } else {
            (None, String::new())
        };
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             {ad_schema}\
             pidfile {dir}/slapd.pid\n\
             argsfile {dir}/slapd.args\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             {tls_conf}\
             database mdb\n\
             maxsize 4294967296\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"{ROOT_DN}\"\n\
             rootpw {ROOT_PASSWORD}\n\
             directory {dir}/db\n\
             index objectClass eq\n\
             index uid eq\n\
             index entryUUID eq\n\
             limits dn.exact=\"{READER_DN}\" size.prtotal=unlimited\n\
             access to attrs=userPassword by self write by anonymous auth by * none\n\
             access to * by users read by * none\n",
            dir = d.display(),
            ad_schema = if opts.ad_schema {
                "include /etc/ldap/schema/msuser.schema\n"
            } else {
                ""
            },
        );
        let conf_path = d.join("slapd.conf");
        std::fs::write(&conf_path, conf).unwrap();

        // Offline load: the base entries, then the caller's LDIF.
        let base = d.join("base.ldif");
        std::fs::write(&base, base_ldif()).unwrap();
        let slapadd = program("slapadd").expect("slapadd is not installed");
        run(
            Command::new(&slapadd)
                .arg("-q")
                .arg("-f")
                .arg(&conf_path)
                .arg("-l")
                .arg(&base),
            "slapadd base entries",
        );
        if let Some(ldif) = &opts.initial_ldif {
            run(
                Command::new(&slapadd)
                    .arg("-q")
                    .arg("-f")
                    .arg(&conf_path)
                    .arg("-l")
                    .arg(ldif),
                "slapadd initial LDIF",
            );
        }

        let slapd = program("slapd").expect("slapd is not installed");
        for _attempt in 0..5 {
            let port = free_port();
            let tls_port = if opts.tls { Some(free_port()) } else { None };
            let url = format!("ldap://127.0.0.1:{port}");
            let mut listeners = format!("{url}/");
            if let Some(p) = tls_port {
                let _ = write!(listeners, " ldaps://127.0.0.1:{p}/");
            }
            let log = std::fs::File::create(d.join("slapd.log")).unwrap();
            // `-d 0`: stay in the foreground (so the child is slapd itself) and log nothing.
            let mut child = Command::new(&slapd)
                .arg("-d")
                .arg("0")
                .arg("-f")
                .arg(&conf_path)
                .arg("-h")
                .arg(&listeners)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(15);
            let mut up = false;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // exited: most likely the port was taken; try another
                }
                let ok = TcpStream::connect(("127.0.0.1", port)).is_ok()
                    && tls_port.is_none_or(|p| TcpStream::connect(("127.0.0.1", p)).is_ok());
                if ok {
                    up = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if up {
                return Slapd {
                    url,
                    ldaps_url: tls_port.map(|p| format!("ldaps://127.0.0.1:{p}")),
                    ca_pem,
                    child: Some(child),
                    dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!(
            "slapd did not start; its log:\n{}",
            std::fs::read_to_string(d.join("slapd.log")).unwrap_or_default()
        );
    }

    /// The temporary directory holding the config, the database and the certificates.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn ldap_tool(&self, tool: &str, ldif: &str) {
        let prog = program(tool).unwrap_or_else(|| panic!("{tool} is not installed"));
        let mut child = Command::new(prog)
            .args(["-x", "-H", &self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ldif.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        if !out.status.success() {
            panic!(
                "{tool} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Add entries online (`ldapadd` as the root DN).
    pub fn add(&self, ldif: &str) {
        self.ldap_tool("ldapadd", ldif);
    }

    /// Apply an LDIF change set online (`ldapmodify` as the root DN), e.g.
    /// `dn: uid=a,ou=people,dc=example,dc=com\nchangetype: modify\nreplace: sn\nsn: B\n`.
    pub fn modify(&self, ldif: &str) {
        self.ldap_tool("ldapmodify", ldif);
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A CA and a server certificate for `127.0.0.1`/`localhost` signed by it, with `openssl`.
fn make_certificates(d: &Path) {
    let openssl = program("openssl").expect("openssl is not installed");
    let p = |name: &str| d.join(name).display().to_string();
    run(
        Command::new(&openssl).args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Roster Test CA",
            "-keyout",
            &p("ca.key"),
            "-out",
            &p("ca.pem"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]),
        "openssl CA",
    );
    run(
        Command::new(&openssl).args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            &p("server.key"),
            "-out",
            &p("server.csr"),
        ]),
        "openssl server key",
    );
    std::fs::write(
        d.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    run(
        Command::new(&openssl).args([
            "x509",
            "-req",
            "-in",
            &p("server.csr"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &p("server.ext"),
            "-out",
            &p("server.pem"),
        ]),
        "openssl server certificate",
    );
}
