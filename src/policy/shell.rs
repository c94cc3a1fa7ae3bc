//! Commands typed or quoted in a message: a state-changing command line is refused like the
//! request it is (`docker rm -f`, `rm -rf`, `zfs destroy`, `curl … | sh`).

use std::sync::LazyLock;

use regex::Regex;

use super::normalise::words;
use super::topics::target_of;
use super::{Category, Refusal};

/// A pipe into a shell, a redirect into a file, or a command inside backticks.
pub(super) fn inline_shell(sentence: &str) -> Option<Refusal> {
    static PIPE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\|\s*(?:sudo\s+)?(?:sh|bash|zsh|dash|ksh|python3?|perl|ruby|node|php|xargs)\b")
            .expect("valid regex")
    });
    static REDIRECT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b(?:echo|cat|printf|tee|curl|wget|sed|awk)\b[^|]*(?:>{1,2}\s*[/~.\w]|\s-i\b)")
            .expect("valid regex")
    });
    let refusal = |category, action: &str| {
        Some(Refusal {
            category,
            action: action.to_owned(),
            target: None,
        })
    };
    // "POST /containers/plex/restart", "DELETE http://…/images/old": an API call that writes.
    static API_CALL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|\s)(?:post|put|patch|delete)\s+(?:to\s+)?(?:https?://\S+|/(?:v[\d.]+/|api/)?(?:containers|images|volumes|networks|services|system|plugins|swarm|nodes|secrets|configs|build|exec|api|core|app)\b\S*)")
            .expect("valid regex")
    });
    if let Some(call) = API_CALL.find(sentence) {
        let path = call.as_str();
        let category = if path.contains("image") || path.contains("volume") {
            Category::ImagesAndVolumes
        } else if path.contains("container") {
            Category::ContainerLifecycle
        } else {
            Category::Shell
        };
        return refusal(category, "call a write API");
    }
    if PIPE.is_match(sentence) {
        return refusal(Category::Shell, "pipe a download into a shell");
    }
    if REDIRECT.is_match(sentence) {
        return refusal(Category::Files, "write to files");
    }
    sentence.split('`').skip(1).step_by(2).find_map(|code| {
        let tokens = words(code);
        shell_command(&tokens)
    })
}

/// "log in over ssh and look at the syslog", "Connecte-toi en SSH", "Kannst du diesen Befehl
/// für mich eintippen?", "drop me into a bash prompt": a request to open a shell on the server or
/// type a command there, in any language. A question about how to do it ("how do I ssh in?",
/// "Comment me connecter en SSH ?") is answered.
pub(super) fn remote_access(sentence: &str) -> Option<Refusal> {
    use super::lexicon::{ACCESS_NOUNS, ACCESS_VERBS, LANGUAGES, POLITE, QUESTION_OPENERS};
    let languages = &*LANGUAGES;
    let words: Vec<String> = super::languages::tokens(sentence)
        .into_iter()
        .filter(|w| w != ",")
        .collect();
    let asks = |w: &String| {
        QUESTION_OPENERS.contains(w) && !languages.request.contains(w)
            || languages.question.contains(w) && !languages.request.contains(w)
    };
    if words.iter().any(asks) {
        return None;
    }
    // Greetings, "please", and request frames ("can you", "peux-tu", "kannst du") before it.
    let start = words.iter().position(|w| {
        !(POLITE.contains(w)
            || languages.polite.contains(w)
            || languages.request.contains(w)
            || languages.pronouns.contains(w)
            || matches!(
                w.as_str(),
                "can"
                    | "could"
                    | "would"
                    | "will"
                    | "you"
                    | "u"
                    | "please"
                    | "peux-tu"
                    | "pouvez-vous"
                    | "just"
                    | "go"
                    | "and"
                    | "now"
            ))
    })?;
    let verb = &words[start];
    let is_access_verb = |w: &str| ACCESS_VERBS.contains(w) || languages.access_verbs.contains(w);
    let is_access_noun = |w: &str| ACCESS_NOUNS.contains(w) || languages.access_nouns.contains(w);
    // "tape cette commande", "eintippen" last: the verb may also close a German or Dutch clause.
    let verb_found = is_access_verb(verb)
        || words
            .last()
            .is_some_and(|w| is_access_verb(w) && languages.access_verbs.contains(w));
    // "ouvre la console des logs", "abre el estado de ssh": reading about the access is not it.
    let reads = words[start + 1..].iter().any(|w| {
        matches!(
            w.as_str(),
            "logs"
                | "status"
                | "statut"
                | "estado"
                | "stato"
                | "journal"
                | "journaux"
                | "protokoll"
                | "registro"
                | "registros"
                | "config"
                | "configuration"
                | "service"
                | "dienst"
                | "servicio"
                | "servizio"
                | "servico"
                | "settings"
        )
    });
    if !verb_found || reads || !words[start..].iter().any(|w| is_access_noun(w)) {
        return None;
    }
    Some(Refusal {
        category: Category::Shell,
        action: "open a shell or type commands on".to_owned(),
        target: Some("the server".to_owned()),
    })
}

/// "run docker rm plex", "type sudo reboot", "try systemctl restart smbd".
pub(super) fn shell_after_verb(clause: &[String]) -> Option<Refusal> {
    let signal = clause.iter().position(|w| {
        matches!(
            w.as_str(),
            "sighup"
                | "sigterm"
                | "sigkill"
                | "sigint"
                | "sigusr1"
                | "sigusr2"
                | "sigstop"
                | "sigquit"
                | "hup"
                | "term"
        )
    });
    if let Some(at) = signal
        && clause
            .first()
            .is_some_and(|w| matches!(w.as_str(), "send" | "issue" | "deliver"))
    {
        return Some(Refusal {
            category: Category::Services,
            action: format!("send {}", clause[at]),
            target: target_of(
                &clause[at + 1..]
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            ),
        });
    }
    match clause.first().map(String::as_str) {
        // "fais un docker compose up -d", "haz un …", "doe een …": do or run, in each language.
        Some(
            "run" | "execute" | "exec" | "type" | "enter" | "paste" | "try" | "issue" | "send"
            | "do" | "invoke" | "call" | "fais" | "faites" | "lance" | "execute-moi" | "mach"
            | "macht" | "fuhr" | "fuehr" | "haz" | "haga" | "ejecuta" | "ejecute" | "corre" | "fai"
            | "esegui" | "lancia" | "faz" | "faca" | "executa" | "roda" | "doe" | "voer" | "draai",
        ) => {
            let rest = &clause[1..];
            let skip = rest
                .iter()
                .take_while(|w| {
                    matches!(
                        w.as_str(),
                        "a" | "an"
                            | "the"
                            | "this"
                            | "me"
                            | "un"
                            | "une"
                            | "ein"
                            | "einen"
                            | "uno"
                            | "una"
                            | "um"
                            | "uma"
                            | "een"
                            | "mal"
                    )
                })
                .count();
            shell_command(&rest[skip..])
        }
        _ => None,
    }
}

/// `docker compose -f /srv/arr/compose.yml -p arr up -d` read as `docker compose up -d`: the
/// options before the subcommand, and the values of those that take one, say nothing of what it
/// does.
fn global_options_left_out(words: &[String]) -> Vec<String> {
    let takes_value = |option: &str| {
        matches!(
            option,
            "-f" | "--file"
                | "-p"
                | "--project-name"
                | "-h"
                | "--host"
                | "-c"
                | "--context"
                | "--env-file"
                | "--project-directory"
                | "--profile"
                | "--config"
                | "--log-level"
        )
    };
    let grouped = words
        .get(1)
        .is_some_and(|w| matches!(w.as_str(), "compose" | "container" | "image"));
    let head = if grouped { 2 } else { 1 };
    let mut kept: Vec<String> = words.iter().take(head).cloned().collect();
    let mut rest = words.iter().skip(head);
    while let Some(word) = rest.next() {
        if !word.starts_with('-') {
            kept.push(word.clone());
            break;
        }
        if takes_value(word) && !word.contains('=') {
            rest.next();
        }
    }
    kept.extend(rest.cloned());
    kept
}

/// Read-only subcommands of the tools below: `docker ps`, `zpool status`, `ufw status`.
const READ_SUBCOMMANDS: &[&str] = &[
    "ps",
    "ls",
    "list",
    "logs",
    "inspect",
    "stats",
    "top",
    "images",
    "info",
    "version",
    "events",
    "port",
    "diff",
    "history",
    "df",
    "status",
    "show",
    "get",
    "describe",
    "config",
    "iostat",
    "get-all",
    "-l",
    "--list",
    "-s",
    "--list-rules",
    "-nl",
    "-nvl",
    "is-active",
    "is-enabled",
    "is-failed",
    "list-units",
    "list-timers",
    "cat",
    "help",
    "--help",
    "-h",
    "--version",
    "search",
    "policy",
    "check",
    "query",
    "-q",
    "-qa",
    "-n",
    "-lah",
    "-la",
    "-al",
    "-ltr",
];

/// `make` without a target that changes things, and git's read-only subcommands.
pub(super) fn harmless_invocation(word: &str, arg: &str) -> bool {
    match word {
        "make" => !arg.starts_with('-') && !matches!(arg, "install" | "clean"),
        "git" => matches!(arg, "log" | "status" | "diff" | "show"),
        _ => false,
    }
}

/// `docker rm -f x`, `rm -rf /mnt/tank`, `systemctl restart nginx`, `zfs destroy …`: a command
/// that changes state, typed as the clause itself (optionally after `sudo`).
pub(super) fn shell_command(words: &[String]) -> Option<Refusal> {
    let words = match words.first().map(String::as_str) {
        Some("sudo" | "doas") if words.len() > 1 => &words[1..],
        _ => words,
    };
    let without_options;
    let words = if words
        .first()
        .is_some_and(|w| w.starts_with("docker") || w.starts_with("podman"))
    {
        without_options = global_options_left_out(words);
        without_options.as_slice()
    } else {
        words
    };
    let word = words.first()?.as_str();
    let next = words.get(1).map(String::as_str);
    let after = words.get(2);
    let refusal = |category, action: &str, target: Option<&String>| {
        Some(Refusal {
            category,
            action: action.to_owned(),
            target: target.cloned(),
        })
    };
    if next.is_some_and(|n| READ_SUBCOMMANDS.contains(&n)) && word != "sudo" {
        return None;
    }
    match (word, next) {
        ("docker" | "podman" | "docker-compose" | "nerdctl" | "podman-compose", Some(sub)) => {
            let grouped = matches!(
                sub,
                "container"
                    | "compose"
                    | "system"
                    | "volume"
                    | "network"
                    | "image"
                    | "service"
                    | "stack"
                    | "swarm"
                    | "plugin"
                    | "builder"
                    | "buildx"
                    | "node"
                    | "secret"
                    | "context"
            );
            let (sub, rest) = if grouped && words.len() > 2 {
                let inner = words[2].as_str();
                if READ_SUBCOMMANDS.contains(&inner) {
                    return None;
                }
                (
                    if matches!(sub, "volume" | "image" | "network" | "builder")
                        && matches!(inner, "rm" | "prune" | "create" | "remove")
                    {
                        "rmi"
                    } else {
                        inner
                    },
                    &words[3..],
                )
            } else {
                (sub, &words[2..])
            };
            let category = match sub {
                "rm" | "stop" | "start" | "restart" | "kill" | "pause" | "unpause" | "create"
                | "run" | "up" | "down" | "rename" | "update" | "scale" | "wait" => {
                    Category::ContainerLifecycle
                }
                "rmi" | "prune" | "volume" | "network" | "image" | "load" | "import" | "save" => {
                    Category::ImagesAndVolumes
                }
                "pull" | "build" | "push" | "deploy" | "commit" | "tag" | "login" | "logout"
                | "init" | "join" | "leave" => Category::Deployment,
                "exec" | "attach" | "cp" => Category::Shell,
                _ => return None,
            };
            let target = rest.iter().find(|w| !w.starts_with('-'));
            refusal(category, &format!("run `{word} {sub}` on"), target)
        }
        ("kubectl" | "k3s" | "k9s" | "helm" | "oc", Some(sub)) => refusal(
            match sub {
                "exec" | "run" | "attach" | "cp" => Category::Shell,
                "delete" | "scale" | "drain" | "cordon" | "uncordon" | "rollout" | "stop" => {
                    Category::ContainerLifecycle
                }
                _ => Category::Deployment,
            },
            &format!("run `{word} {sub}` on"),
            after,
        ),
        ("sudo" | "su" | "doas" | "pkexec", _) => {
            refusal(Category::Shell, "run commands with", Some(&words[0]))
        }
        ("rm" | "rmdir" | "shred" | "unlink" | "srm", Some(_)) => refusal(
            Category::Files,
            "delete",
            words[1..].iter().find(|w| !w.starts_with('-')),
        ),
        (
            "chmod" | "chown" | "chgrp" | "mv" | "cp" | "dd" | "setfacl" | "chattr" | "ln"
            | "touch" | "mkdir" | "tee" | "truncate" | "rsync" | "tar" | "unzip" | "sed" | "nano"
            | "vi" | "vim" | "emacs",
            Some(_),
        ) => refusal(Category::Files, "change files with", Some(&words[0])),
        (
            "mkfs" | "mkfs.ext4" | "mkfs.xfs" | "wipefs" | "sgdisk" | "fdisk" | "gdisk" | "parted"
            | "mount" | "umount" | "mdadm" | "fsck" | "e2fsck" | "badblocks" | "pvcreate"
            | "vgcreate" | "lvcreate" | "lvremove" | "lvextend",
            Some(_),
        ) => refusal(Category::Storage, "change disks with", Some(&words[0])),
        (
            "systemctl" | "service" | "rc-service" | "sv" | "launchctl",
            Some(
                "start" | "stop" | "restart" | "reload" | "enable" | "disable" | "mask" | "unmask"
                | "kill" | "try-restart" | "reload-or-restart" | "daemon-reload" | "edit"
                | "set-property" | "isolate" | "reset-failed" | "revert" | "link" | "preset",
            ),
        ) => refusal(Category::Services, next.unwrap_or("change"), after),
        ("service" | "rc-service", Some(name))
            if after.is_some_and(|a| {
                matches!(
                    a.as_str(),
                    "start" | "stop" | "restart" | "reload" | "force-reload"
                )
            }) =>
        {
            refusal(Category::Services, "restart", Some(&name.to_owned()))
        }
        (
            "systemctl",
            Some(
                "reboot" | "poweroff" | "halt" | "suspend" | "hibernate" | "kexec" | "rescue"
                | "emergency",
            ),
        )
        | ("shutdown" | "reboot" | "poweroff" | "halt" | "init" | "telinit", _) => {
            if matches!(word, "init" | "telinit") && !matches!(next, Some("0" | "6" | "1" | "s")) {
                return None;
            }
            refusal(Category::HostPower, "reboot or shut down", None)
        }
        ("qm" | "pct" | "virsh" | "vboxmanage" | "xl", Some(sub))
            if matches!(
                sub,
                "start"
                    | "stop"
                    | "shutdown"
                    | "reboot"
                    | "reset"
                    | "destroy"
                    | "undefine"
                    | "suspend"
                    | "resume"
                    | "migrate"
                    | "clone"
                    | "create"
                    | "set"
                    | "snapshot"
                    | "rollback"
                    | "delsnapshot"
            ) =>
        {
            refusal(
                Category::ContainerLifecycle,
                &format!("run `{word} {sub}` on"),
                after,
            )
        }
        (
            "zfs",
            Some(
                "destroy" | "snapshot" | "rollback" | "create" | "set" | "rename" | "send"
                | "receive" | "recv" | "promote" | "clone" | "mount" | "unmount" | "inherit"
                | "allow" | "unallow" | "load-key" | "unload-key" | "change-key" | "hold"
                | "release",
            ),
        )
        | (
            "zpool",
            Some(
                "scrub" | "destroy" | "create" | "export" | "import" | "offline" | "online"
                | "replace" | "clear" | "detach" | "attach" | "add" | "remove" | "upgrade" | "trim"
                | "set" | "split" | "reguid" | "labelclear" | "resilver" | "initialize",
            ),
        ) => refusal(
            Category::Storage,
            &format!("run `{word} {}` on", next.unwrap_or_default()),
            after,
        ),
        ("midclt" | "truenas-cli" | "cli", Some(_)) => {
            refusal(Category::Shell, "run commands with", Some(&words[0]))
        }
        ("kill", Some(arg)) if arg.starts_with('-') || arg.parse::<u32>().is_ok() => {
            refusal(Category::Services, "signal", words.get(1))
        }
        ("pkill" | "killall" | "xkill", Some(_)) => {
            refusal(Category::Services, "signal", words.get(1))
        }
        (
            "apt" | "apt-get" | "aptitude" | "dnf" | "yum" | "pip" | "pip3" | "pipx" | "npm"
            | "snap" | "flatpak" | "apk" | "brew" | "zypper" | "opkg" | "pkg" | "cargo" | "gem"
            | "yarn" | "pnpm" | "dpkg",
            Some(
                "install" | "i" | "add" | "remove" | "rm" | "purge" | "upgrade" | "dist-upgrade"
                | "full-upgrade" | "autoremove" | "update" | "uninstall" | "del" | "reinstall"
                | "-i" | "-r" | "-p" | "--purge" | "--install",
            ),
        ) => refusal(
            Category::Packages,
            &format!("run `{word} {}`", next.unwrap_or_default()),
            after,
        ),
        ("pacman" | "yay" | "paru", Some(flag))
            if flag.starts_with("-s") || flag.starts_with("-r") || flag.starts_with("-u") =>
        {
            refusal(Category::Packages, &format!("run `{word} {flag}`"), after)
        }
        (
            "do-release-upgrade" | "unattended-upgrade" | "unattended-upgrades" | "needrestart",
            _,
        ) => refusal(Category::Packages, &format!("run `{word}`"), None),
        (
            "iptables" | "ip6tables" | "nft" | "ufw" | "firewall-cmd" | "iptables-restore",
            Some(_),
        ) => refusal(
            Category::NetworkAndAccess,
            "change the firewall with",
            Some(&words[0]),
        ),
        ("ip", Some("link" | "addr" | "address" | "route" | "rule" | "neigh"))
            if words.get(2).is_some_and(|w| {
                matches!(
                    w.as_str(),
                    "set" | "add" | "del" | "delete" | "flush" | "change" | "replace"
                )
            }) =>
        {
            refusal(
                Category::NetworkAndAccess,
                "change the network with",
                Some(&words[0]),
            )
        }
        (
            "nmcli" | "hostnamectl" | "resolvectl" | "timedatectl" | "ifconfig" | "ifup" | "ifdown"
            | "netplan" | "wg" | "wg-quick" | "tailscale" | "route",
            Some(sub),
        ) if !matches!(sub, "show" | "status" | "list" | "-a") => refusal(
            Category::NetworkAndAccess,
            "change the network with",
            Some(&words[0]),
        ),
        ("smartctl", Some(_))
            if words
                .iter()
                .any(|w| matches!(w.as_str(), "-t" | "--test" | "-x" | "-s")) =>
        {
            refusal(Category::Storage, "start a disk test with", Some(&words[0]))
        }
        ("crontab" | "systemd-run" | "anacron", Some(arg)) if arg != "-l" => {
            refusal(Category::Automation, "schedule jobs with", Some(&words[0]))
        }
        (
            "passwd" | "useradd" | "userdel" | "usermod" | "adduser" | "deluser" | "groupadd"
            | "groupdel" | "gpasswd" | "chpasswd" | "smbpasswd" | "htpasswd" | "visudo" | "chage"
            | "ssh-keygen" | "ssh-copy-id",
            _,
        ) => refusal(
            Category::NetworkAndAccess,
            "change users with",
            Some(&words[0]),
        ),
        (
            "bash" | "sh" | "zsh" | "python" | "python3" | "perl" | "ruby" | "node" | "php"
            | "nohup" | "screen" | "tmux" | "eval" | "exec" | "source" | "curl" | "wget" | "nc"
            | "ncat" | "socat" | "ansible" | "ansible-playbook" | "terraform" | "make" | "xargs"
            | "powershell" | "pwsh" | "git",
            Some(arg),
        ) if !harmless_invocation(word, arg) => {
            refusal(Category::Shell, "run commands with", Some(&words[0]))
        }
        (script, _) if script.starts_with("./") || script.ends_with(".sh") => {
            refusal(Category::Shell, "run the script", Some(&words[0]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::{Category, classify_by_rules};

    #[test]
    fn opening_a_shell_is_refused_in_every_language_and_asking_how_is_not() {
        for text in [
            "log in over ssh and look at the syslog",
            "drop me into a bash prompt on the nas",
            "type this command for me",
            "Connecte-toi en SSH et regarde le syslog",
            "Kannst du diesen Befehl für mich eintippen?",
            "Conéctate por SSH y mira el syslog",
            "Collegati in SSH e guarda il syslog",
            "Entra por SSH e vê o syslog",
            "Log in via SSH en kijk in de syslog",
        ] {
            let refusal = classify_by_rules(text);
            assert_eq!(
                refusal.map(|r| r.category),
                Some(Category::Shell),
                "`{text}`"
            );
        }
        for text in [
            "how do I ssh into the nas?",
            "Comment me connecter en SSH ?",
            "is ssh enabled?",
            "get me the ssh service status",
            "what command shows the pool status?",
        ] {
            assert!(classify_by_rules(text).is_none(), "`{text}`");
        }
    }
}
