//! Seeds a Clientele database with realistic clients, for benchmarks.
//!
//! Every client goes through `Service::create_client`, the path an API request
//! takes (validation, company check, insert with its audit event), many at
//! once: the store's writer commits concurrent writes together, so the number
//! of tasks in flight is what makes seeding fast.
//!
//! ```text
//! cargo run --release --example bench_seed -- \
//!     --database-url sqlite:///tmp/bench.db --count 100000 --ids-file /tmp/bench.ids
//! ```
//!
//! Prints one JSON object on stdout: the firm, an admin key's secret, how many
//! clients were written and how fast, and search terms with known frequencies.
//! Progress goes to stderr. The content of client `i` depends only on `--seed`
//! and `i` (ids and timestamps are the server's own, so those differ per run).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use clientele::config::StoreConfig;
use clientele::domain::api_key::{Scope, Scopes};
use clientele::domain::ids::{ClientId, FirmId};
use clientele::server::open_store;
use clientele::service::keys::KeyRequest;
use clientele::service::{Actor, Service};

#[derive(Parser, Debug)]
#[command(about = "Seed a Clientele database with realistic clients for benchmarks")]
struct Args {
    #[command(flatten)]
    store: StoreConfig,
    /// Clients to create (companies included).
    #[arg(long, default_value_t = 100_000)]
    count: u64,
    /// Add to this firm instead of creating one (use a different --offset than
    /// earlier runs, or the emails collide).
    #[arg(long)]
    firm: Option<FirmId>,
    /// Name of the firm to create.
    #[arg(long, default_value = "Benchmark LLP")]
    firm_name: String,
    /// Index of the first client: emails embed it, so runs into one firm with
    /// disjoint ranges never collide.
    #[arg(long, default_value_t = 0)]
    offset: u64,
    /// Seed for the generated content.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Creates in flight at once.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Share of clients that are companies, in percent.
    #[arg(long, default_value_t = 4)]
    company_percent: u64,
    /// Where to write a sample of client ids, one per line.
    #[arg(long)]
    ids_file: Option<PathBuf>,
    /// How many ids to sample into --ids-file.
    #[arg(long, default_value_t = 1000)]
    sample: u64,
}

const FIRST_NAMES: &[&str] = &[
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen",
    "Charles", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
    "Donald", "Ashley", "Steven", "Kimberly", "Paul", "Emily", "Andrew", "Donna", "Joshua", "Michelle",
    "Kenneth", "Carol", "Kevin", "Amanda", "Brian", "Dorothy", "George", "Melissa", "Timothy", "Deborah",
    "Ronald", "Stephanie", "Edward", "Rebecca", "Jason", "Sharon", "Jeffrey", "Laura", "Ryan", "Cynthia",
    "Jacob", "Kathleen", "Gary", "Amy", "Nicholas", "Angela", "Eric", "Shirley", "Jonathan", "Anna",
    "Stephen", "Brenda", "Larry", "Pamela", "Justin", "Emma", "Scott", "Nicole", "Brandon", "Helen",
    "Benjamin", "Samantha", "Samuel", "Katherine", "Gregory", "Christine", "Alexander", "Debra", "Frank", "Rachel",
    "Patrick", "Carolyn", "Raymond", "Janet", "Jack", "Catherine", "Dennis", "Maria", "Jerry", "Heather",
    "Tyler", "Diane", "Aaron", "Ruth", "José", "Julie", "Adam", "Olivia", "Nathan", "Joyce",
    "Henry", "Virginia", "Zachary", "Victoria", "Douglas", "Kelly", "Peter", "Lauren", "Kyle", "Christina",
    "Noah", "Joan", "Ethan", "Evelyn", "Jeremy", "Judith", "Walter", "Megan", "Christian", "Andrea",
    "Keith", "Cheryl", "Roger", "Hannah", "Terry", "Jacqueline", "Austin", "Martha", "Sean", "Gloria",
    "Gerald", "Teresa", "Carl", "Ann", "Harold", "Sara", "Dylan", "Madison", "Arthur", "Frances",
    "Lawrence", "Kathryn", "Jordan", "Janice", "Jesse", "Jean", "Bryan", "Abigail", "Billy", "Sophia",
    "Bruce", "Judy", "Gabriel", "Chloé", "Joe", "Grace", "Logan", "Denise", "Alan", "Amber",
    "Juan", "Doris", "Albert", "Marilyn", "Willie", "Danielle", "Elijah", "Beverly", "Wayne", "Isabella",
    "Randy", "Theresa", "Vincent", "Diana", "Mason", "Natalie", "Roy", "Brittany", "Ralph", "Charlotte",
    "Bobby", "Marie", "Russell", "Kayla", "Bradley", "Alexis", "Philip", "Lori", "Eugene", "Zoë",
];

/// Common surnames, most frequent first: picked with a Zipf-like weight, so
/// the head is common and the tail is not.
const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jiménez",
    "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
    "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
    "Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson",
    "Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
    "Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen",
    "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter",
    "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Muñoz", "Hunt", "Hicks",
    "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox",
    "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens",
    "Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins",
    "O'Brien", "O'Connor", "Kowalski", "Nowak", "Novak", "Rossi", "Russo", "Schneider", "Fischer", "Weber",
];

/// Surnames given to one client in RARE_ONE_IN: the `rare_term` a benchmark
/// searches for is the first of them.
const RARE_LAST_NAMES: &[&str] = &[
    "Quackenbush", "Zywicki", "Oyelaran", "Brzezinski", "Vanderslice", "Thistlewood", "Okonkwo", "Ljungqvist",
    "Featherstonehaugh", "Yablonski",
];
const RARE_ONE_IN: u64 = 1_000;

/// Search terms of known selectivity: a client whose index leaves residue
/// `r` modulo `m` carries `token` in its email, so at N clients a search for
/// it has about N / m hits (10, 100, 1,000, 10,000 and 100,000 at 1M). The
/// residues differ modulo 10, so no client carries two tokens, and no token
/// is a substring of another or of a name.
const SELECTIVITY_TOKENS: [(&str, u64, u64); 5] = [
    ("qzvjo", 100_000, 88_885),
    ("qzvjt", 10_000, 6_661),
    ("qzvjh", 1_000, 509),
    ("qzvjd", 100, 47),
    ("qzvjk", 10, 3),
];

fn selectivity_token(index: u64) -> Option<&'static str> {
    SELECTIVITY_TOKENS.iter().find(|(_, m, r)| index % m == *r).map(|(token, _, _)| *token)
}

const COMPANY_WORDS: &[&str] = &[
    "Acme", "Summit", "Pioneer", "Harbor", "Cedar", "Granite", "Liberty", "Evergreen", "Northwind", "Bluebird",
    "Keystone", "Riverside", "Sterling", "Meridian", "Atlas", "Beacon", "Cascade", "Frontier", "Horizon", "Ironwood",
    "Juniper", "Lakeside", "Magnolia", "Oakridge", "Redwood", "Silverline", "Trinity", "Union", "Valley", "Willow",
];
const COMPANY_KINDS: &[&str] = &[
    "Holdings", "Partners", "Logistics", "Construction", "Dental", "Realty", "Foods", "Consulting", "Capital",
    "Manufacturing", "Software", "Design", "Motors", "Farms", "Health", "Media",
];
const COMPANY_SUFFIXES: &[&str] = &["LLC", "Inc.", "Co.", "Ltd.", "LLP", "Group", "Corp."];

/// Personal email providers with rough market shares (weights): `gmail` is
/// the `common_term` a benchmark searches for.
const EMAIL_DOMAINS: &[(&str, u32)] = &[
    ("gmail.com", 40),
    ("yahoo.com", 12),
    ("outlook.com", 10),
    ("hotmail.com", 8),
    ("icloud.com", 8),
    ("aol.com", 4),
    ("comcast.net", 4),
    ("proton.me", 2),
    ("example.org", 12),
];

const TAGS: &[&str] = &[
    "vip", "prospect", "referral", "newsletter", "estate-planning", "tax", "litigation", "family-law",
    "real-estate", "corporate", "pro-bono", "conflict-checked",
];
const SOURCES: &[&str] = &["website", "referral", "walk-in", "phone", "event", "advertisement", "existing client"];

const STREETS: &[&str] = &[
    "Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Sunset", "Highland",
    "Church", "Market", "Broad", "Center", "Spring", "River", "Mill", "Walnut",
];
const STREET_KINDS: &[&str] = &["St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Way", "Pl"];
/// City, state, ZIP prefix, and area codes used there.
const CITIES: &[(&str, &str, &str, &[u16])] = &[
    ("New York", "NY", "100", &[212, 646, 917]),
    ("Brooklyn", "NY", "112", &[718, 347]),
    ("Los Angeles", "CA", "900", &[213, 310, 323]),
    ("San Francisco", "CA", "941", &[415, 628]),
    ("San Diego", "CA", "921", &[619, 858]),
    ("Chicago", "IL", "606", &[312, 773]),
    ("Houston", "TX", "770", &[713, 281, 832]),
    ("Dallas", "TX", "752", &[214, 469, 972]),
    ("Austin", "TX", "787", &[512, 737]),
    ("Phoenix", "AZ", "850", &[602, 480]),
    ("Philadelphia", "PA", "191", &[215, 267]),
    ("Seattle", "WA", "981", &[206, 425]),
    ("Denver", "CO", "802", &[303, 720]),
    ("Boston", "MA", "021", &[617, 857]),
    ("Atlanta", "GA", "303", &[404, 678, 470]),
    ("Miami", "FL", "331", &[305, 786]),
    ("Orlando", "FL", "328", &[407, 321]),
    ("Minneapolis", "MN", "554", &[612]),
    ("Portland", "OR", "972", &[503, 971]),
    ("Nashville", "TN", "372", &[615, 629]),
    ("Columbus", "OH", "432", &[614]),
    ("Charlotte", "NC", "282", &[704, 980]),
    ("Detroit", "MI", "482", &[313]),
    ("Salt Lake City", "UT", "841", &[801, 385]),
];

/// The generator for client `index`: its content depends on nothing else.
fn rng_for(seed: u64, index: u64) -> StdRng {
    let mut h = DefaultHasher::new();
    (seed, index).hash(&mut h);
    StdRng::seed_from_u64(h.finish())
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A Zipf-like pick (weight 1/(rank+10)): frequent names stay frequent
/// without the first one swamping the rest.
fn pick_zipf<'a>(rng: &mut StdRng, items: &'a [&'a str], cumulative: &[f64]) -> &'a str {
    let total = *cumulative.last().unwrap_or(&1.0);
    let x = rng.random::<f64>() * total;
    let i = cumulative.partition_point(|&c| c < x).min(items.len() - 1);
    items[i]
}

fn pick_weighted<'a>(rng: &mut StdRng, items: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random_range(0..total);
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    items[0].0
}

/// Lowercase ASCII letters only, for the local part of an email.
fn slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'é' | 'ë' => Some('e'),
            'ñ' => Some('n'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

fn phone(rng: &mut StdRng, area_codes: &[u16]) -> String {
    let area = *pick(rng, area_codes);
    let exchange = rng.random_range(200..1000);
    let line = rng.random_range(0..10_000);
    match rng.random_range(0..4) {
        0 => format!("({area}) {exchange}-{line:04}"),
        1 => format!("{area}-{exchange}-{line:04}"),
        2 => format!("+1 {area} {exchange} {line:04}"),
        _ => format!("{area}.{exchange}.{line:04}"),
    }
}

fn address(rng: &mut StdRng, city: &(&str, &str, &str, &[u16])) -> Value {
    let mut a = Map::new();
    a.insert(
        "line1".into(),
        json!(format!("{} {} {}", rng.random_range(1..9999), pick(rng, STREETS), pick(rng, STREET_KINDS))),
    );
    if rng.random_bool(0.2) {
        a.insert("line2".into(), json!(format!("Suite {}", rng.random_range(100..2000))));
    }
    a.insert("city".into(), json!(city.0));
    a.insert("region".into(), json!(city.1));
    a.insert("postal_code".into(), json!(format!("{}{:02}", city.2, rng.random_range(1..99))));
    a.insert("country".into(), json!("US"));
    Value::Object(a)
}

fn tags(rng: &mut StdRng) -> Value {
    let n = match rng.random_range(0..10) {
        0..=3 => 0,
        4..=6 => 1,
        7..=8 => 2,
        _ => 3,
    };
    let mut out: Vec<&str> = Vec::new();
    for _ in 0..n {
        let t = *pick(rng, TAGS);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    json!(out)
}

fn status(rng: &mut StdRng) -> &'static str {
    match rng.random_range(0..100) {
        0..=69 => "active",
        70..=89 => "inactive",
        _ => "closed",
    }
}

fn custom_fields(rng: &mut StdRng, index: u64) -> Value {
    let mut c = Map::new();
    c.insert("client_number".into(), json!(format!("C-{:07}", index + 1)));
    if rng.random_bool(0.5) {
        c.insert("billing_rate".into(), json!([250, 300, 350, 425, 500][rng.random_range(0..5)]));
    }
    if rng.random_bool(0.3) {
        c.insert("conflict_check".into(), json!({ "cleared": rng.random_bool(0.9), "by": "intake" }));
    }
    if rng.random_bool(0.2) {
        c.insert("preferred_contact".into(), json!(["email", "phone", "mail"][rng.random_range(0..3)]));
    }
    Value::Object(c)
}

/// The create body of company number `index`.
fn company_doc(seed: u64, index: u64) -> Map<String, Value> {
    let mut rng = rng_for(seed, index);
    let name = match rng.random_range(0..3) {
        0 => format!("{} {} {}", pick(&mut rng, COMPANY_WORDS), pick(&mut rng, COMPANY_KINDS), pick(&mut rng, COMPANY_SUFFIXES)),
        1 => format!("{} & {} {}", pick(&mut rng, LAST_NAMES), pick(&mut rng, LAST_NAMES), pick(&mut rng, COMPANY_SUFFIXES)),
        _ => format!("{} {}", pick(&mut rng, COMPANY_WORDS), pick(&mut rng, COMPANY_KINDS)),
    };
    let city = pick(&mut rng, CITIES);
    let mut d = Map::new();
    d.insert("kind".into(), json!("company"));
    d.insert("name".into(), json!(name));
    d.insert("email".into(), json!(format!("info{}@{}.com", index, slug(&name))));
    d.insert("phone".into(), json!(phone(&mut rng, city.3)));
    d.insert("address".into(), address(&mut rng, city));
    d.insert("status".into(), json!(status(&mut rng)));
    d.insert("tags".into(), tags(&mut rng));
    d.insert("source".into(), json!(pick(&mut rng, SOURCES)));
    d.insert("custom_fields".into(), custom_fields(&mut rng, index));
    d
}

/// The create body of person number `index`; `companies` are the companies
/// created so far, some of which people belong to.
fn person_doc(seed: u64, index: u64, cumulative: &[f64], companies: &[ClientId]) -> Map<String, Value> {
    let mut rng = rng_for(seed, index);
    let first = *pick(&mut rng, FIRST_NAMES);
    let last = if index % RARE_ONE_IN == RARE_ONE_IN / 2 {
        // Deterministically spread over the rare names.
        RARE_LAST_NAMES[((index / RARE_ONE_IN) % RARE_LAST_NAMES.len() as u64) as usize]
    } else {
        pick_zipf(&mut rng, LAST_NAMES, cumulative)
    };
    let city = pick(&mut rng, CITIES);
    let mut d = Map::new();
    d.insert("kind".into(), json!("person"));
    d.insert("first_name".into(), json!(first));
    d.insert("last_name".into(), json!(last));
    if rng.random_bool(0.95) {
        let (f, l) = (slug(first), slug(last));
        let domain = pick_weighted(&mut rng, EMAIL_DOMAINS);
        let local = match rng.random_range(0..4) {
            0 => format!("{f}.{l}{index}"),
            1 => format!("{}{l}{index}", &f[..1]),
            2 => format!("{f}_{l}.{index}"),
            _ => format!("{l}.{f}+{index}"),
        };
        let local = match selectivity_token(index) {
            Some(token) => format!("{token}.{local}"),
            None => local,
        };
        // Mixed case now and then: emails are unique case-insensitively.
        let email = format!("{local}@{domain}");
        let email = if rng.random_bool(0.1) { capitalise(&email) } else { email };
        d.insert("email".into(), json!(email));
    }
    if rng.random_bool(0.85) {
        d.insert("phone".into(), json!(phone(&mut rng, city.3)));
    }
    if rng.random_bool(0.1) {
        d.insert("other_phones".into(), json!([{ "number": phone(&mut rng, city.3), "label": "work" }]));
    }
    if rng.random_bool(0.6) {
        d.insert("address".into(), address(&mut rng, city));
    }
    if rng.random_bool(0.4) {
        let (y, m, day) = (rng.random_range(1935..2006), rng.random_range(1..13), rng.random_range(1..29));
        d.insert("date_of_birth".into(), json!(format!("{y:04}-{m:02}-{day:02}")));
    }
    if !companies.is_empty() && rng.random_bool(0.3) {
        d.insert("company_id".into(), json!(pick(&mut rng, companies).to_string()));
    }
    d.insert("status".into(), json!(status(&mut rng)));
    d.insert("tags".into(), tags(&mut rng));
    if rng.random_bool(0.7) {
        d.insert("source".into(), json!(pick(&mut rng, SOURCES)));
    }
    if rng.random_bool(0.15) {
        d.insert("notes".into(), json!(format!("Met at intake on matter #{}. Prefers afternoon calls.", rng.random_range(1000..99999))));
    }
    d.insert("custom_fields".into(), custom_fields(&mut rng, index));
    d
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

struct Progress {
    done: AtomicU64,
    failed: AtomicU64,
    sample: Mutex<Vec<(u64, ClientId)>>,
    first_error: Mutex<Option<String>>,
}

/// What every batch of creates shares.
struct Seeder {
    service: Service,
    actor: Actor,
    concurrency: usize,
    /// Client `i` goes into the id sample when `i % sample_every == 0`.
    sample_every: u64,
    progress: Arc<Progress>,
}

/// The create body of client `i`.
type DocFn = Arc<dyn Fn(u64) -> Map<String, Value> + Send + Sync>;

/// Creates clients `from..to` with `seeder.concurrency` tasks; `doc` makes the
/// body of client `i`. Returns the ids of the clients made, by index minus
/// `from`, when `keep_ids` (for companies, which people then refer to).
async fn create_range(seeder: &Seeder, from: u64, to: u64, keep_ids: bool, doc: DocFn) -> Vec<Option<ClientId>> {
    let Seeder { service, actor, concurrency, sample_every, progress } = seeder;
    let (concurrency, sample_every) = (*concurrency, *sample_every);
    let kept = Arc::new(Mutex::new(if keep_ids { vec![None; (to - from) as usize] } else { Vec::new() }));
    let cursor = Arc::new(AtomicU64::new(from));
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (service, actor, progress, doc, cursor, kept) =
            (service.clone(), actor.clone(), progress.clone(), doc.clone(), cursor.clone(), kept.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = cursor.fetch_add(1, Ordering::Relaxed);
                if i >= to {
                    break;
                }
                let body = doc(i);
                match service.create_client(&actor, &body).await {
                    Ok(client) => {
                        if keep_ids {
                            kept.lock().unwrap()[(i - from) as usize] = Some(client.id);
                        }
                        if i % sample_every == 0 {
                            progress.sample.lock().unwrap().push((i, client.id));
                        }
                        progress.done.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        progress.failed.fetch_add(1, Ordering::Relaxed);
                        let mut first = progress.first_error.lock().unwrap();
                        if first.is_none() {
                            *first = Some(format!("client {i}: {e} ({e:?}); body {}", Value::Object(body)));
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.expect("a seeding task panicked");
    }
    let kept = std::mem::take(&mut *kept.lock().unwrap());
    kept
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    let store = open_store(&args.store).await?;
    let service = Service::new(store);

    let (firm_id, secret, firm_created) = match args.firm {
        Some(id) => {
            let operator = service.operator(id).await.map_err(|e| e.to_string())?;
            let request = KeyRequest {
                name: Some("benchmark admin key".into()),
                scopes: Scopes::new(vec![Scope::Admin]),
                expires_at: None,
                user_id: None,
                rate_limit_per_minute: None,
            };
            let key = service.create_key(&operator, request).await.map_err(|e| e.to_string())?;
            (id, key.secret.expose().to_string(), false)
        }
        None => {
            let new = service.create_firm(&args.firm_name).await.map_err(|e| e.to_string())?;
            (new.firm.id, new.admin_key.secret.expose().to_string(), true)
        }
    };
    let actor = service.operator(firm_id).await.map_err(|e| e.to_string())?;

    let count = args.count;
    let companies = count * args.company_percent.min(100) / 100;
    let (start, mid, end) = (args.offset, args.offset + companies, args.offset + count);
    let sample_every = (count / args.sample.max(1)).max(1);
    let seed = args.seed;
    let progress = Arc::new(Progress {
        done: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        sample: Mutex::new(Vec::new()),
        first_error: Mutex::new(None),
    });

    let started = Instant::now();
    let reporter = {
        let progress = progress.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            tick.tick().await;
            loop {
                tick.tick().await;
                let done = progress.done.load(Ordering::Relaxed);
                let secs = started.elapsed().as_secs_f64();
                eprintln!("seeded {done}/{count} in {secs:.0}s ({:.0}/s)", done as f64 / secs);
            }
        })
    };

    // Companies first, so people can belong to them.
    let seeder = Seeder { service, actor, concurrency: args.concurrency, sample_every, progress: progress.clone() };
    let company_ids = create_range(&seeder, start, mid, true, Arc::new(move |i| company_doc(seed, i))).await;
    let company_ids: Arc<Vec<ClientId>> = Arc::new(company_ids.into_iter().flatten().collect());

    let mut cumulative = Vec::with_capacity(LAST_NAMES.len());
    let mut acc = 0.0;
    for rank in 0..LAST_NAMES.len() {
        acc += 1.0 / (rank as f64 + 10.0);
        cumulative.push(acc);
    }
    let cumulative = Arc::new(cumulative);
    let people_companies = company_ids.clone();
    let people: DocFn = Arc::new(move |i| person_doc(seed, i, &cumulative, &people_companies));
    create_range(&seeder, mid, end, false, people).await;
    let seconds = started.elapsed().as_secs_f64();
    reporter.abort();

    let done = progress.done.load(Ordering::Relaxed);
    let failed = progress.failed.load(Ordering::Relaxed);
    let mut sample = std::mem::take(&mut *progress.sample.lock().unwrap());
    sample.sort_by_key(|(i, _)| *i);
    if let Some(path) = &args.ids_file {
        let text: String = sample.iter().map(|(_, id)| format!("{id}\n")).collect();
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let rare_people = (start..end).filter(|i| *i >= mid && i % RARE_ONE_IN == RARE_ONE_IN / 2).count() as u64;
    let out = json!({
        "firm_id": firm_id.to_string(),
        "firm_created": firm_created,
        "admin_key": secret,
        "count": done,
        "companies": company_ids.len(),
        "failed": failed,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "per_second": (done as f64 / seconds).round(),
        "concurrency": args.concurrency,
        "seed": seed,
        "offset": start,
        "ids_file": args.ids_file.as_ref().map(|p| p.display().to_string()),
        "ids_sampled": sample.len(),
        // Terms for `q`: the rare surname is on about one client in
        // RARE_ONE_IN * RARE_LAST_NAMES.len(); `gmail` is in ~37% of clients.
        "rare_term": RARE_LAST_NAMES[0].to_lowercase(),
        "rare_term_clients_about": rare_people.div_ceil(RARE_LAST_NAMES.len() as u64),
        // The most frequent surname: about 3% of people.
        "mid_term": LAST_NAMES[0].to_lowercase(),
        "common_term": "gmail",
        // One in 100,000, 10,000, 1,000, 100 and 10 people (with an email).
        "selectivity_terms": SELECTIVITY_TOKENS.iter().map(|(token, _, _)| *token).collect::<Vec<_>>().join(" "),
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    if failed > 0 {
        let first = progress.first_error.lock().unwrap().clone().unwrap_or_default();
        return Err(format!("{failed} creates failed; the first: {first}"));
    }
    Ok(())
}
