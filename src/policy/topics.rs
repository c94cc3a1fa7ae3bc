//! What a verb acts on, and so which category a refusal falls in: containers, the host, storage,
//! the network, files, services, packages, automation.

use super::Category;
use super::lexicon::{
    AUTOMATION_WORDS, CONTAINER_WORDS, DETERMINERS, FILE_WORDS, HOST_WORDS, IMAGE_WORDS,
    KNOWN_APPS, NETWORK_WORDS, PACKAGE_WORDS, READ_OBJECTS, SERVICE_WORDS, STORAGE_WORDS, WordSet,
};

pub(super) fn is_known_app(word: &str) -> bool {
    KNOWN_APPS.contains(&word)
}

pub(super) fn mentions(object: &[&str], set: &WordSet) -> bool {
    object
        .iter()
        .any(|w| set.contains(w) || w.len() > 3 && set.contains(&w.trim_end_matches('s')))
}

pub(super) fn looks_like_address(word: &str) -> bool {
    let bare = word.split('/').next().unwrap_or(word);
    let parts: Vec<&str> = bare.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok())
}

/// What the object of a verb is about.
pub(super) struct Topics {
    storage: bool,
    host: bool,
    service: bool,
    images: bool,
    network: bool,
    files: bool,
    automation: bool,
    packages: bool,
    containers: bool,
    shell: bool,
    numbers: bool,
}

pub(super) fn topics(object: &[&str]) -> Topics {
    Topics {
        storage: mentions(object, &STORAGE_WORDS)
            || object
                .iter()
                .any(|w| w.starts_with("/dev/") || w.starts_with("tank/")),
        host: mentions(object, &HOST_WORDS),
        service: mentions(object, &SERVICE_WORDS) || object.iter().any(|w| w.ends_with(".service")),
        images: mentions(object, &IMAGE_WORDS),
        network: mentions(object, &NETWORK_WORDS) || object.iter().any(|w| looks_like_address(w)),
        files: mentions(object, &FILE_WORDS)
            || object.iter().any(|w| {
                w.starts_with('/') || w.starts_with("~/") || w.starts_with("./") || {
                    let ext = w.rsplit_once('.').map(|(_, e)| e);
                    matches!(
                        ext,
                        Some(
                            "mkv"
                                | "mp4"
                                | "txt"
                                | "conf"
                                | "yml"
                                | "yaml"
                                | "json"
                                | "log"
                                | "sh"
                                | "env"
                                | "db"
                                | "iso"
                                | "img"
                                | "zip"
                                | "tar"
                                | "gz"
                        )
                    )
                }
            }),
        automation: mentions(object, &AUTOMATION_WORDS),
        packages: mentions(object, &PACKAGE_WORDS),
        containers: mentions(object, &CONTAINER_WORDS) || object.iter().any(|w| is_known_app(w)),
        shell: object.iter().any(|w| {
            matches!(
                *w,
                "command"
                    | "commands"
                    | "script"
                    | "scripts"
                    | "shell"
                    | "cmd"
                    | "sudo"
                    | "rm"
                    | "bash"
                    | "sh"
                    | "zsh"
                    | "python"
                    | "python3"
                    | "perl"
                    | "code"
                    | "program"
                    | "binary"
                    | "following"
                    | "terminal"
                    | "console"
                    | "one-liner"
                    | "oneliner"
                    | "powershell"
                    | "payload"
                    | "exploit"
                    | "curl"
                    | "wget"
                    | "docker"
                    | "kubectl"
                    | "this"
                    | "snippet"
                    | "playbook"
                    | "cronjob"
                    | "backdoor"
                    | "reverse"
            ) || w.ends_with(".sh")
                || w.ends_with(".py")
        }),
        numbers: object.iter().any(|w| {
            w.parse::<u16>().is_ok()
                || w.split('/')
                    .next()
                    .is_some_and(|p| p.parse::<u16>().is_ok())
        }),
    }
}

pub(super) fn category_for(action: &str, object: &[&str]) -> Option<Category> {
    use Category::*;
    let t = topics(object);
    // The object decides first where it is clear, whatever the verb.
    let by_object = || {
        if t.storage {
            Some(Storage)
        } else if t.automation {
            Some(Automation)
        } else if t.images {
            Some(ImagesAndVolumes)
        } else if t.network {
            Some(NetworkAndAccess)
        } else if t.containers {
            Some(ContainerLifecycle)
        } else if t.service {
            Some(Services)
        } else if t.files {
            Some(Files)
        } else if t.packages {
            Some(Packages)
        } else {
            None
        }
    };
    let reading = object.first().is_some_and(|w| matches!(*w, "me" | "us"))
        || object.iter().any(|w| READ_OBJECTS.contains(w));
    let toggled = || {
        if t.storage {
            Storage
        } else if t.network {
            NetworkAndAccess
        } else if t.automation {
            Automation
        } else if t.containers {
            ContainerLifecycle
        } else if t.service {
            Services
        } else if t.host {
            HostPower
        } else {
            ContainerLifecycle
        }
    };
    match action {
        "restart" | "reboot" | "bounce" | "cycle" | "recycle" | "respawn" | "reload"
        | "relaunch" | "revive" | "resurrect" | "kick" | "nudge" | "power cycle" | "restart up"
        | "reboot up" | "restart on" | "reboot on" | "kick up" | "kick back" | "restart back"
        | "restart off" => Some(
            if t.host
                || action.starts_with("reboot") && !t.containers && !t.service
                || action == "power cycle" && !t.containers
            {
                HostPower
            } else if t.storage {
                Storage
            } else if t.service {
                Services
            } else if t.network && !t.containers {
                NetworkAndAccess
            } else {
                ContainerLifecycle
            },
        ),
        "shutdown" | "shut down" | "shut off" | "poweroff" | "power off" | "power down"
        | "halt" | "hibernate" | "suspend" | "turn off" | "switch off" | "wake" | "wake up" => {
            if object.is_empty() || t.host && !t.containers {
                Some(HostPower)
            } else {
                Some(toggled())
            }
        }
        "stop" | "start" | "kill" | "pause" | "unpause" | "resume" | "terminate" | "spin up"
        | "spin down" | "bring up" | "bring down" | "take down" | "take offline"
        | "take online" | "start up" | "start on" | "stop on" | "kill on" | "turn on"
        | "switch on" | "boot up" | "boot down" | "power on" | "power up" | "fire up"
        | "fire down" | "tear down" | "scale" | "launch" | "start off" | "start back"
        | "bring back" | "bring online" | "bring offline" | "unstick" | "unfreeze" => {
            if object.is_empty() || reading && !matches!(action, "kill" | "stop") {
                None
            } else {
                Some(toggled())
            }
        }
        "delete" | "remove" | "rm" | "erase" | "wipe" | "destroy" | "purge" | "nuke" | "trash"
        | "zap" | "obliterate" | "shred" | "unlink" | "truncate" | "clean up" | "cleanup"
        | "clean" | "clean out" | "wipe out" | "wipe up" | "free up" | "empty" | "clear" => {
            if matches!(action, "empty" | "clear" | "clean") && (object.is_empty() || reading) {
                return None;
            }
            if matches!(action, "clean up" | "cleanup") && object.is_empty() {
                return Some(ImagesAndVolumes);
            }
            Some(by_object().unwrap_or(Files))
        }
        "prune" => Some(if t.containers && !t.images {
            ContainerLifecycle
        } else {
            ImagesAndVolumes
        }),
        "update" | "upgrade" | "downgrade" | "pull" | "redeploy" | "deploy" | "rebuild"
        | "recreate" | "rollback" | "roll back" | "roll out" | "revert" | "patch" | "build"
        | "provision" | "migrate" | "update on" | "update up" => {
            let reading = if action == "update" {
                object.first().is_some_and(|w| matches!(*w, "me" | "us"))
            } else {
                reading
            };
            if reading && matches!(action, "update" | "pull" | "build") {
                return None;
            }
            if action == "build" && !(t.containers || t.images) {
                return None;
            }
            if object.is_empty() && !matches!(action, "upgrade" | "redeploy" | "rollback") {
                return None;
            }
            Some(if t.storage {
                Storage
            } else if t.network && !t.containers {
                NetworkAndAccess
            } else if t.automation {
                Automation
            } else if t.packages && !t.containers || t.host {
                Packages
            } else {
                Deployment
            })
        }
        "install" | "uninstall" | "reinstall" => Some(Packages),
        "run" | "execute" | "exec" | "eval" | "invoke" | "spawn" | "sudo" | "ssh" => {
            if t.storage {
                Some(Storage)
            } else if t.shell || matches!(action, "sudo" | "ssh" | "eval" | "exec") {
                Some(Shell)
            } else if object.is_empty() || reading {
                None
            } else if t.containers || t.images {
                Some(ContainerLifecycle)
            } else if action == "execute" || action == "invoke" {
                Some(Shell)
            } else {
                by_object()
            }
        }
        "schedule" | "remind" | "automate" | "mute" | "silence" | "snooze" | "acknowledge"
        | "ack" | "dismiss" => Some(Automation),
        "chmod" | "chown" | "chgrp" | "touch" | "mkdir" | "mv" | "cp" | "overwrite" | "append"
        | "extract" | "unzip" | "compress" => Some(Files),
        "move" | "copy" | "rename" | "edit" | "modify" | "write" | "save" | "download"
        | "upload" | "replace" | "rotate" | "flush" | "drop" => {
            if reading || object.is_empty() {
                None
            } else {
                Some(by_object().unwrap_or(Files))
            }
        }
        "change" | "set" | "set up" | "setup" | "configure" | "reconfigure" | "tweak"
        | "adjust" | "increase" | "decrease" | "raise" | "lower" | "bump" | "limit"
        | "throttle" | "reset" => {
            if reading || object.is_empty() {
                None
            } else if action == "reset" || action == "limit" || action == "throttle" {
                Some(by_object().unwrap_or(ContainerLifecycle))
            } else {
                Some(by_object().unwrap_or(Files))
            }
        }
        "fix" | "repair" | "sort out" => {
            if object.is_empty() || reading {
                None
            } else {
                Some(by_object().unwrap_or(ContainerLifecycle))
            }
        }
        "create" | "make" | "add" | "generate" => {
            if reading {
                None
            } else {
                by_object()
            }
        }
        "scrub" | "resilver" | "snapshot" | "defrag" | "trim" | "detach" | "mount" | "unmount"
        | "umount" | "expand" | "extend" | "resize" | "replicate" | "backup" | "back up"
        | "restore" => {
            if object.is_empty() && !matches!(action, "scrub" | "resilver") || reading {
                None
            } else {
                Some(Storage)
            }
        }
        "format" => (t.storage || t.files).then_some(Storage),
        "block" | "unblock" | "ban" | "unban" | "whitelist" | "blacklist" | "allowlist"
        | "denylist" | "forward" | "expose" | "publish" | "grant" | "revoke" | "promote"
        | "demote" | "renew" | "share" | "unshare" | "disconnect" => {
            (!object.is_empty() && !reading).then_some(NetworkAndAccess)
        }
        "lock" | "unlock" | "lock down" | "lock up" => {
            (!object.is_empty()).then(|| by_object().unwrap_or(NetworkAndAccess))
        }
        "open" | "close" | "allow" | "deny" | "connect" | "assign" | "open up" => {
            if t.shell && matches!(action, "open" | "open up") {
                Some(Shell)
            } else if t.network || t.numbers {
                Some(NetworkAndAccess)
            } else {
                None
            }
        }
        "enable" | "disable" | "mask" | "unmask" => {
            (!object.is_empty() && !reading).then(|| by_object().unwrap_or(Services))
        }
        "rescan" => Some(by_object().unwrap_or(ContainerLifecycle)),
        "offline" => (!object.is_empty()).then_some(Storage),
        "export" | "import" => t.storage.then_some(Storage),
        "apply" => {
            if reading || object.is_empty() {
                None
            } else if t.packages || t.host {
                Some(Packages)
            } else {
                by_object()
            }
        }
        "signal" => (!object.is_empty()).then_some(Services),
        // "clone yesterday's snapshot", "retag the image", "renice the process", "flash the HBA
        // firmware", "cancel the running scrub": the object says what changes.
        "clone" | "swap" | "retag" | "push" | "renice" | "symlink" | "flash" | "cancel" => {
            if reading || object.is_empty() {
                None
            } else {
                Some(by_object().unwrap_or(match action {
                    "retag" | "push" => Deployment,
                    "renice" => Services,
                    "symlink" => Files,
                    "flash" => Packages,
                    "clone" => Storage,
                    _ => ContainerLifecycle,
                }))
            }
        }
        // "put the server to sleep", "put plex in maintenance mode".
        "put" => {
            if object
                .iter()
                .any(|w| matches!(*w, "sleep" | "standby" | "hibernation" | "suspend"))
            {
                Some(HostPower)
            } else if object
                .iter()
                .any(|w| matches!(*w, "maintenance" | "offline" | "online" | "mode"))
            {
                Some(by_object().unwrap_or(ContainerLifecycle))
            } else {
                None
            }
        }
        "give" => (!reading && (t.network || object.contains(&"sudo"))).then_some(NetworkAndAccess),
        "refresh" => by_object().filter(|_| !reading),
        "take" => {
            (t.storage && object.iter().any(|w| w.starts_with("snapshot"))).then_some(Storage)
        }
        _ => None,
    }
}

pub(super) fn target_of(object: &[&str]) -> Option<String> {
    let words: Vec<&str> = object
        .iter()
        .copied()
        .skip_while(|w| DETERMINERS.contains(w))
        .take_while(|w| !DETERMINERS.contains(w) || *w == "all")
        .take(3)
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}
