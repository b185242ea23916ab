//! The allocator returns what was freed to the system when asked (`memory::release_free`,
//! called after start-up, the config's compile and each publish). A binary of its own:
//! no other test allocates while this one reads the process's resident memory.

/// The process's resident memory, in bytes (`/proc/self/statm`).
fn resident() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm");
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages");
    pages * 4096
}

#[test]
fn freed_memory_goes_back_to_the_system_when_released() {
    const MIB: usize = 1 << 20;
    let before = resident();
    // 64 MiB in the sizes a poll allocates (small strings and buffers), each written so
    // that its pages are resident.
    let blocks: Vec<Vec<u8>> = (0..64 * MIB / 2048).map(|i| vec![i as u8; 2048]).collect();
    let peak = resident();
    assert!(peak >= before + 60 * MIB, "allocated: {before} -> {peak}");
    drop(blocks);

    // Freed, the pages stay with the allocator for reuse (for a second, and for ever if
    // nothing allocates again): the control.
    let freed = resident();
    assert!(
        freed >= before + 48 * MIB,
        "the allocator returned the pages by itself ({peak} -> {freed}): this test no longer shows what release_free does"
    );

    tocsin::memory::release_free();
    let released = resident();
    assert!(
        released <= before + 8 * MIB,
        "after release_free: {before} before, {peak} at the peak, {freed} freed, {released} released"
    );
}
