//! The hash maps and sets routeguard uses. Their hasher is std's randomly keyed one, which
//! resists hash flooding by hostile files; builds for fuzzing (`--cfg fuzzing`) key it with
//! zeros instead, so that what code a run reaches depends on its input alone: with random keys,
//! probe sequences and iteration orders change from run to run, and libFuzzer counts the code
//! they happen to reach as new coverage. The `Fast` ones, for the hottest lookups, hash with
//! foldhash: randomly seeded too, and seeded with a constant when fuzzing, for the same reason.

#[cfg(not(fuzzing))]
pub type Hasher = std::collections::hash_map::RandomState;
#[cfg(fuzzing)]
pub type Hasher = std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

pub type HashMap<K, V> = std::collections::HashMap<K, V, Hasher>;
pub type HashSet<T> = std::collections::HashSet<T, Hasher>;

#[cfg(not(fuzzing))]
pub type FastHasher = foldhash::fast::RandomState;
#[cfg(fuzzing)]
pub type FastHasher = foldhash::fast::FixedState;

pub type FastHashMap<K, V> = std::collections::HashMap<K, V, FastHasher>;
pub type FastHashSet<T> = std::collections::HashSet<T, FastHasher>;
