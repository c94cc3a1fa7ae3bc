//! The offline router's vocabulary: the words that name each subject, the words that are not
//! container names, and how a question's words map to intents.

use super::Intent;

pub(super) const STRONG_OVERVIEW: &[&str] = &[
    "overview",
    "health",
    "healthy",
    "status",
    "summary",
    "summarize",
    "summarise",
    "uptime",
    "kernel",
    "os",
    "hostname",
    "report",
    "übersicht",
    "systemübersicht",
    "resumen",
    "panoramica",
    "aperçu",
    "resumo",
    "overzicht",
    "résumé",
    "riepilogo",
    "estado",
];
pub(super) const WEAK_OVERVIEW: &[&str] = &[
    "doing",
    "going",
    "ok",
    "okay",
    "fine",
    "alive",
    "server",
    "system",
    "everything",
    "how's",
    "hows",
    "state",
    "host",
    "machine",
    "nas",
    "box",
    "up",
    "servidor",
    "serveur",
    "sistema",
    "système",
    "systeem",
    "maschine",
    "máquina",
    "macchina",
];
pub(super) const CPU: &[&str] = &[
    "cpu",
    "cpus",
    "processor",
    "processors",
    "load",
    "core",
    "cores",
    "utilization",
    "utilisation",
    "processeur",
    "procesador",
    "processore",
    "processador",
    "prozessor",
    "auslastung",
    "gebruik",
];
pub(super) const MEMORY: &[&str] = &[
    "memory",
    "ram",
    "swap",
    "mem",
    "mémoire",
    "memoria",
    "memória",
    "geheugen",
    "arbeitsspeicher",
    "speicherauslastung",
    "speicher",
];
pub(super) const DISK: &[&str] = &[
    "disk",
    "disks",
    "storage",
    "space",
    "pool",
    "pools",
    "full",
    "filesystem",
    "filesystems",
    "drive",
    "drives",
    "capacity",
    "dataset",
    "datasets",
    "mount",
    "mounts",
    "zfs",
    "df",
    "disque",
    "disco",
    "schijf",
    "festplatte",
    "speicherplatz",
    "espace",
    "espacio",
    "espaço",
    "spazio",
    "schijfruimte",
    "plein",
    "voll",
    "lleno",
    "pieno",
    "cheio",
    "vol",
];
pub(super) const TEMPERATURE: &[&str] = &[
    "temperature",
    "temperatures",
    "temp",
    "temps",
    "hot",
    "heat",
    "thermal",
    "celsius",
    "cooling",
    "overheating",
    "warm",
    "sensor",
    "sensors",
    "température",
    "températures",
    "temperatur",
    "temperaturen",
    "temperatura",
    "calentando",
    "chaud",
    "heiß",
    "caldo",
    "quente",
];
pub(super) const PROCESSES: &[&str] = &[
    "process",
    "processes",
    "top",
    "hog",
    "hogs",
    "hogging",
    "busiest",
    "pid",
    "pids",
    "htop",
    "programs",
    "processus",
    "prozesse",
    "prozess",
    "procesos",
    "proceso",
    "processi",
    "processo",
    "processos",
    "processen",
    "proces",
];
pub(super) const CONSUMING: &[&str] = &[
    "using",
    "eating",
    "consuming",
    "uses",
    "use",
    "consomme",
    "consomment",
    "consume",
    "consumen",
    "usa",
    "gebruikt",
    "braucht",
    "verbraucht",
    "utilise",
    "belegen",
    "belegt",
];
pub(super) const ASKING_WHO: &[&str] = &["what", "what's", "whats", "which", "who", "most"];
pub(super) const NETWORK: &[&str] = &[
    "network",
    "bandwidth",
    "traffic",
    "throughput",
    "upload",
    "download",
    "interface",
    "interfaces",
    "net",
    "rx",
    "tx",
    "internet",
    "nic",
    "réseau",
    "netzwerk",
    "red",
    "rete",
    "rede",
    "netwerk",
    "trafic",
    "traffico",
    "tráfego",
    "tráfico",
    "verkehr",
    "ancho",
    "netzwerkauslastung",
    "netwerkgebruik",
    "rates",
];
pub(super) const CONTAINERS: &[&str] = &[
    "container",
    "containers",
    "docker",
    "unhealthy",
    "exited",
    "apps",
    "stack",
    "stacks",
    "compose",
    "oom",
    "conteneur",
    "conteneurs",
    "contenedor",
    "contenedores",
    "contenitore",
    "contenitori",
    "contêiner",
    "contêineres",
    "details",
    "detail",
    "inspect",
    "ports",
    "port",
    "published",
    "labels",
    "label",
    "image",
    "exit",
    "porta",
    "puerto",
    "porte",
];
/// Container words only when nothing else was asked: "is anything running hot?" is about heat.
pub(super) const WEAK_CONTAINERS: &[&str] = &[
    "running",
    "stopped",
    "restarting",
    "crashed",
    "crash",
    "crashing",
    "restart",
    "restarts",
    "restarted",
    "die",
    "died",
    "arrêtés",
    "arrêté",
    "gestoppt",
    "parados",
    "parado",
    "gestopt",
    "fermati",
    "fermo",
];
pub(super) const LOGS: &[&str] = &[
    "log",
    "logs",
    "logged",
    "stderr",
    "stdout",
    "tail",
    "output",
    "printed",
    "printing",
    "print",
    "said",
    "say",
    "grep",
    "lines",
    "line",
    "journaux",
    "journal",
    "affiché",
    "zeilen",
    "líneas",
    "linhas",
    "righe",
    "regels",
    "stampato",
    "gelogd",
    "protokoll",
    "registros",
    "errors",
    "erreurs",
    "fehler",
    "errores",
    "errori",
    "erros",
    "fouten",
];
pub(super) const ALERTS: &[&str] = &[
    "alert",
    "alerts",
    "problem",
    "problems",
    "issue",
    "issues",
    "wrong",
    "warning",
    "warnings",
    "broken",
    "failing",
    "trouble",
    "attention",
    "critical",
    "worried",
    "worry",
    "fire",
    "alertes",
    "alerte",
    "alerta",
    "alertas",
    "avvisi",
    "avviso",
    "waarschuwingen",
    "warnungen",
    "kaputt",
    "preocuparse",
    "preocupar",
    "zorgen",
    "problème",
    "problèmes",
    "probleme",
    "problemas",
    "problemi",
    "flags",
];

/// Overview words that, next to a container word, are about the containers.
/// Words that name a ZFS pool or its parts.
pub(super) const POOL_WORDS: &[&str] = &[
    "pool",
    "pools",
    "zpool",
    "zpools",
    "zfs",
    "arc",
    "vdev",
    "vdevs",
    "raidz",
    "mirror",
    "degraded",
    "resilver",
    "resilvering",
    "scrub",
    "scrubs",
    "scrubbed",
];
/// Words that name ZFS snapshots.
pub(super) const SNAPSHOT_WORDS: &[&str] = &[
    "snapshot",
    "snapshots",
    "snap",
    "snaps",
    "instantané",
    "instantanés",
    "schnappschuss",
    "schnappschüsse",
    "instantánea",
    "instantáneas",
];
/// Words that name TrueNAS apps and their updates.
pub(super) const APP_WORDS: &[&str] = &[
    "app",
    "apps",
    "application",
    "applications",
    "update",
    "updates",
    "upgrade",
    "upgrades",
    "outdated",
];
/// Words that ask about drives' health.
pub(super) const SMART_WORDS: &[&str] = &[
    "smart",
    "sector",
    "sectors",
    "reallocated",
    "pending",
    "selftest",
    "self-test",
];
/// Words that name the homelab's machines as a whole.
pub(super) const FLEET_WORDS: &[&str] =
    &["hosts", "fleet", "nodes", "machines", "servers", "boxes"];
/// Words that pick among machines: "which host…", "is any host down?".
pub(super) const FLEET_PICKERS: &[&str] = &[
    "which",
    "any",
    "down",
    "fullest",
    "offline",
    "unreachable",
    "each",
    "every",
    "all",
];
/// Words that name TrueNAS itself.
pub(super) const TRUENAS_WORDS: &[&str] = &["truenas", "freenas", "middleware"];
/// Words that name the UPS or mains power.
pub(super) const UPS_WORDS: &[&str] = &[
    "ups",
    "upses",
    "battery",
    "batteries",
    "outage",
    "blackout",
    "mains",
    "runtime",
    "nut",
    "onduleur",
    "usv",
    "sai",
    "nobreak",
    "batterie",
    "batería",
    "bateria",
    "accu",
];
/// Words that ask whether something is healthy: about a named subject, not the whole host.
pub(super) const CONTAINER_HEALTH_WORDS: &[&str] = &["health", "healthy", "status"];
/// "Why did plex restart?", "did anything crash?": the engine's event log answers these.
pub(super) const CRASH_WORDS: &[&str] = &[
    "crash",
    "crashed",
    "crashes",
    "crashing",
    "restart",
    "restarted",
    "restarts",
    "died",
    "die",
    "dying",
    "oom",
    "oomkilled",
    "killed",
    "kill",
    "why",
    "warum",
    "pourquoi",
    "perché",
    "waarom",
    "porque",
    "stürzt",
    "absturz",
    "abgestürzt",
    "falla",
    "falha",
    "plante",
    "crashe",
    "reiniciando",
    "riavvia",
    "herstart",
    "keeps",
    "keep",
];
/// "Which containers use the most CPU?": live stats answer these.
pub(super) const RESOURCE_WORDS: &[&str] = &[
    "cpu",
    "memory",
    "ram",
    "mem",
    "resources",
    "resource",
    "usage",
    "heaviest",
    "biggest",
    "hungry",
    "hog",
    "hogs",
    "hogging",
    "busiest",
    "stats",
    "statistics",
    "estadísticas",
    "statistiques",
    "statistiken",
    "statistiche",
    "estatísticas",
    "statistieken",
    "mémoire",
    "memoria",
    "memória",
    "geheugen",
    "speicher",
];
/// Container questions that want the engine itself.
pub(super) const ENGINE_WORDS: &[&str] = &["version", "engine", "daemon", "info"];
/// "What happened in docker in the last hour?": the engine's event log, over a window.
pub(super) const EVENT_WORDS: &[&str] = &[
    "events",
    "event",
    "happened",
    "happening",
    "activity",
    "événements",
    "evenements",
    "ereignisse",
    "passiert",
    "eventos",
    "eventi",
    "gebeurtenissen",
    "gebeurd",
    "starts",
    "stops",
];
/// Images the engine stores, in every language the router reads.
pub(super) const IMAGE_WORDS: &[&str] = &["images", "imagens", "immagini", "imágenes", "imagenes"];
/// Next to "docker", a question about the disk Docker takes, not the host's filesystems.
pub(super) const DOCKER_SPACE_WORDS: &[&str] = &[
    "reclaim",
    "reclaimable",
    "platz",
    "ocupa",
    "occupa",
    "volumes",
    "schijfruimte",
    "espace",
    "espacio",
    "espaço",
    "spazio",
    "storage",
    "space",
    "disk",
];
/// Words that are never a container's name, so they do not trigger a name lookup.
pub(super) const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "all",
    "am",
    "among",
    "an",
    "and",
    "any",
    "anything",
    "are",
    "at",
    "be",
    "been",
    "by",
    "can",
    "could",
    "currently",
    "day",
    "days",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "every",
    "for",
    "from",
    "get",
    "give",
    "going",
    "had",
    "has",
    "have",
    "hour",
    "hours",
    "how",
    "i",
    "in",
    "is",
    "it",
    "it's",
    "its",
    "just",
    "last",
    "lately",
    "latest",
    "line",
    "lines",
    "list",
    "me",
    "min",
    "mins",
    "minute",
    "minutes",
    "my",
    "not",
    "now",
    "of",
    "on",
    "or",
    "past",
    "please",
    "recent",
    "recently",
    "right",
    "see",
    "show",
    "since",
    "so",
    "some",
    "tail",
    "tell",
    "that",
    "the",
    "there",
    "these",
    "this",
    "those",
    "to",
    "today",
    "up",
    "use",
    "using",
    "was",
    "week",
    "were",
    "what",
    "what's",
    "whats",
    "when",
    "which",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "one",
    "ones",
    "time",
    "times",
    "containing",
    "matching",
    "errors",
    "error",
    "currently",
    "still",
    "yet",
    "ever",
    "again",
    "happened",
    "happen",
    "anybody",
    "something",
    "went",
    "go",
    "wrong",
    "most",
    "least",
    "more",
    "top",
];

/// Words of a question: lowercase, punctuation trimmed.
pub(crate) fn words(question: &str) -> Vec<String> {
    question
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '?' | '!' | '"' | '(' | ')'))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '/' && c != '\'')
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The words and, after them, the parts of compounds and elisions: "CPU-Auslastung" also reads
/// as "cpu" and "auslastung", "d'images" as "images", so either can name a subject.
pub(super) fn with_parts(mut words: Vec<String>) -> Vec<String> {
    let parts: Vec<String> = words
        .iter()
        .filter(|w| w.contains(['-', '\'']))
        .flat_map(|w| w.split(['-', '\'']).map(str::to_owned).collect::<Vec<_>>())
        .filter(|w| w.len() > 1)
        .collect();
    words.extend(parts);
    words
}

/// Words a greeting or a thank-you is made of, in the languages the vocabulary knows.
const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "yo",
    "there",
    "good",
    "morning",
    "afternoon",
    "evening",
    "thanks",
    "thank",
    "you",
    "thx",
    "ty",
    "cheers",
    "bonjour",
    "salut",
    "merci",
    "hallo",
    "moin",
    "danke",
    "hola",
    "gracias",
    "ola",
    "olá",
    "obrigado",
    "obrigada",
    "hoi",
    "dank",
    "je",
    "wel",
    "bedankt",
];

/// The intents of a question, in a fixed order, without repeats.
pub fn detect_intents(question: &str) -> Vec<Intent> {
    let words = with_parts(words(question));
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    let mut intents = Vec::new();
    // "hi", "thanks!", "good morning": a greeting alone is answered with what can be asked.
    let greeting = !words.is_empty() && words.iter().all(|w| GREETINGS.contains(&w.as_str()));
    if greeting || has(&["help", "commands"]) || question.to_lowercase().contains("what can you") {
        intents.push(Intent::Help);
    }
    if has(ALERTS) {
        // "Any TrueNAS alerts?" asks for TrueNAS's own list.
        intents.push(if has(TRUENAS_WORDS) {
            Intent::TrueNasAlerts
        } else {
            Intent::Alerts
        });
    }
    let processes = has(PROCESSES) || (has(CONSUMING) && has(ASKING_WHO));
    if has(CPU) && !processes {
        intents.push(Intent::Cpu);
    }
    if has(MEMORY) && !processes {
        intents.push(Intent::Memory);
    }
    if processes {
        intents.push(Intent::Processes);
    }
    if has(DISK) {
        intents.push(Intent::Disk);
    }
    if has(TEMPERATURE) {
        intents.push(Intent::Temperature);
    }
    if has(NETWORK) {
        intents.push(Intent::Network);
    }
    if has(POOL_WORDS) {
        // "Is my pool healthy?" asks for the pool's state; "how full is my pool?" or "space left
        // on my pools" for its capacity alone, unless a ZFS word ("zfs", "scrub") says more.
        let capacity = words
            .iter()
            .any(|w| DISK.contains(&w.as_str()) && !POOL_WORDS.contains(&w.as_str()));
        let zfs_word = words
            .iter()
            .any(|w| POOL_WORDS.contains(&w.as_str()) && w != "pool" && w != "pools");
        if !capacity {
            intents.retain(|i| *i != Intent::Disk);
        }
        if !capacity || zfs_word {
            intents.push(Intent::Pools);
        }
    }
    if has(UPS_WORDS) {
        intents.push(Intent::Ups);
    }
    // "Is any host down?", "which host is fullest?", "how is nas:9100 doing?": the fleet.
    let one_machine = has(&["host", "machine", "server", "node", "box"]);
    let named_host = words.iter().any(|w| {
        w.split_once(':').is_some_and(|(n, p)| {
            !n.is_empty() && !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())
        })
    });
    if has(FLEET_WORDS) || (one_machine && has(FLEET_PICKERS)) || named_host {
        intents.retain(|i| !matches!(i, Intent::Disk | Intent::Overview));
        intents.push(Intent::Fleet);
    }
    // "Disk temperatures?", "any SMART errors?": the drives' own health.
    let drive_word = has(&[
        "disk", "disks", "drive", "drives", "hdd", "hdds", "ssd", "ssds",
    ]);
    if has(SMART_WORDS) || (drive_word && has(TEMPERATURE)) {
        intents.retain(|i| !matches!(i, Intent::Disk | Intent::Temperature));
        intents.push(Intent::DiskHealth);
    }
    if has(SNAPSHOT_WORDS) {
        // "How old is the newest snapshot of tank/media?" is not a disk question.
        intents.retain(|i| !matches!(i, Intent::Disk | Intent::Pools));
        intents.push(Intent::Snapshots);
    }
    // "How much space does docker use?" is about Docker's disk, not the host's filesystems.
    if has(&["docker"]) && has(DOCKER_SPACE_WORDS) {
        intents.retain(|i| *i != Intent::Disk);
    }
    if has(LOGS) {
        // "search chatty's log for 'warning'": the warning is a text to find, not an alert.
        intents.retain(|i| *i != Intent::Alerts);
        intents.push(Intent::Logs);
    } else if has(CONTAINERS)
        || has(EVENT_WORDS)
        || has(IMAGE_WORDS)
        || (intents.is_empty() && has(WEAK_CONTAINERS))
    {
        // "Which container uses the most memory?" is about containers, not the host's processes.
        if has(CONTAINERS) {
            intents.retain(|i| !matches!(i, Intent::Cpu | Intent::Memory | Intent::Processes));
        }
        intents.push(Intent::Containers);
    }
    // "Which apps need an update?", "truenas apps": TrueNAS's app list. "What apps are running?"
    // stays a container question (TrueNAS apps are Docker containers too).
    let app_update = has(&["update", "updates", "upgrade", "upgrades", "outdated"]);
    if has(APP_WORDS) && (app_update || has(TRUENAS_WORDS)) {
        let only_app_words = words
            .iter()
            .filter(|w| CONTAINERS.contains(&w.as_str()))
            .all(|w| APP_WORDS.contains(&w.as_str()));
        if only_app_words {
            intents.retain(|i| *i != Intent::Containers);
        }
        intents.push(Intent::Apps);
    }
    let about_containers = intents.iter().any(|i| {
        matches!(
            i,
            Intent::Containers
                | Intent::Logs
                | Intent::Pools
                | Intent::Ups
                | Intent::Snapshots
                | Intent::Apps
                | Intent::TrueNasAlerts
                | Intent::DiskHealth
                | Intent::Fleet
        )
    });
    // "Which containers are healthy?" asks about containers' health, not the host's.
    let overview = words.iter().any(|w| {
        STRONG_OVERVIEW.contains(&w.as_str())
            && !(about_containers && CONTAINER_HEALTH_WORDS.contains(&w.as_str()))
    });
    if overview || (intents.is_empty() && has(WEAK_OVERVIEW)) {
        intents.insert(0, Intent::Overview);
    }
    intents
}

pub(super) fn known_word(word: &str) -> bool {
    word.chars().all(|c| c.is_ascii_digit())
        || [
            STRONG_OVERVIEW,
            WEAK_OVERVIEW,
            CPU,
            MEMORY,
            DISK,
            TEMPERATURE,
            PROCESSES,
            CONSUMING,
            ASKING_WHO,
            NETWORK,
            CONTAINERS,
            WEAK_CONTAINERS,
            LOGS,
            ALERTS,
            CRASH_WORDS,
            RESOURCE_WORDS,
            ENGINE_WORDS,
            EVENT_WORDS,
            IMAGE_WORDS,
            DOCKER_SPACE_WORDS,
            POOL_WORDS,
            UPS_WORDS,
            SNAPSHOT_WORDS,
            APP_WORDS,
            TRUENAS_WORDS,
            SMART_WORDS,
            FLEET_WORDS,
            STOPWORDS,
        ]
        .iter()
        .any(|set| set.contains(&word))
}

/// Words that sit where a pool's name would but are not one ("how full is my disk?").
pub(super) const NOT_A_NAME: &[&str] = &[
    "the",
    "my",
    "our",
    "a",
    "an",
    "it",
    "its",
    "this",
    "that",
    "is",
    "are",
    "of",
    "on",
    "in",
    "server",
    "system",
    "nas",
    "box",
    "machine",
    "host",
    "everything",
    "all",
    "each",
    "every",
    "any",
    "left",
    "free",
    "used",
    "now",
    "today",
    "getting",
    "still",
    "there",
    "much",
    "how",
    "what",
    "root",
    "main",
    "boot",
    "home",
    "usage",
    "use",
];
