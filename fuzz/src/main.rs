//! `aslx-fuzz TARGET` runs one target under AFL++ (`cargo afl fuzz ... aslx-fuzz TARGET`);
//! `aslx-fuzz seed` writes every target's seeds to `corpus/TARGET/`. See README.md.

#[path = "../seeds.rs"]
mod seeds;
#[path = "../targets.rs"]
mod targets;

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    if arg == "seed" {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let repo = here.join("..");
        for (name, _) in targets::TARGETS {
            let dir = here.join("corpus").join(name);
            std::fs::create_dir_all(&dir).expect("create the corpus directory");
            let seeds = seeds::seeds(name, &repo);
            for (i, s) in seeds.iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i:05}")), s).expect("write a seed");
            }
            println!("{name}: {} seeds in {}", seeds.len(), dir.display());
        }
        return;
    }
    let Some((_, run)) = targets::TARGETS.iter().find(|(n, _)| *n == arg) else {
        let names: Vec<&str> = targets::TARGETS.iter().map(|(n, _)| *n).collect();
        eprintln!("usage: aslx-fuzz seed | aslx-fuzz TARGET ({})", names.join(", "));
        std::process::exit(2);
    };
    afl::fuzz!(|data: &[u8]| {
        run(data);
    });
}
