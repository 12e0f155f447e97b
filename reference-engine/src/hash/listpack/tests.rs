use super::*;
use crate::hash::storage_tests::*;

fn names(lp: &Listpack) -> Vec<String> {
    field_names(lp.iter())
}

fn of(names: &[&str]) -> Listpack {
    let mut lp = Listpack::new();
    for n in names {
        lp.push(n.as_bytes(), format!("v-{n}").as_bytes(), None);
    }
    lp
}

#[test]
fn push_get_and_position() {
    let mut lp = of(&["a", "bb", "ccc"]);
    lp.push(b"", b"", Some(-5));
    assert_eq!(lp.len(), 4);
    assert_eq!(names(&lp), ["a", "bb", "ccc", ""]);
    let e = lp.get(b"bb").unwrap();
    assert_eq!(
        (e.field, e.value, e.expire_at_ms),
        (&b"bb"[..], &b"v-bb"[..], None)
    );
    assert_eq!(lp.get(b"").unwrap().expire_at_ms, Some(-5));
    assert_eq!(lp.position(b"ccc"), Some(2));
    assert_eq!(lp.position(b"c"), None);
    assert!(lp.get(b"b").is_none());
    assert_eq!(lp.get_index(1).unwrap().field, b"bb");
    assert!(lp.get_index(4).is_none());
}

#[test]
fn a_field_that_looks_like_a_header_is_not_confused() {
    // Field bytes equal to encoded headers must not derail the scan.
    let mut lp = Listpack::new();
    lp.push(&[0x03, 0x80], &[0x81, 0x01], Some(7));
    lp.push(&[0x80; 3], b"", None);
    assert_eq!(lp.get(&[0x80; 3]).unwrap().value, b"");
    assert_eq!(lp.get(&[0x03, 0x80]).unwrap().value, [0x81, 0x01]);
    assert!(lp.get(&[0x03]).is_none());
}

#[test]
fn long_fields_and_values_use_multi_byte_lengths() {
    let field = vec![b'f'; 300];
    let value = vec![b'v'; 70_000];
    let mut lp = of(&["x"]);
    lp.push(&field, &value, Some(i64::MAX));
    lp.push(b"y", b"1", None);
    assert_eq!(lp.get(&field).unwrap().value.len(), 70_000);
    assert_eq!(lp.get(&field).unwrap().expire_at_ms, Some(i64::MAX));
    assert_eq!(names(&lp)[2], "y");
    assert!(lp.set_value(1, b"short"));
    assert_eq!(lp.get(&field).unwrap().value, b"short");
    assert_eq!(lp.get(b"y").unwrap().value, b"1");
}

#[test]
fn set_value_keeps_position_and_ttl() {
    let mut lp = of(&["a", "b", "c"]);
    lp.set_expire(1, Some(1234));
    assert!(lp.set_value(1, b"a much longer value than before"));
    assert_eq!(names(&lp), ["a", "b", "c"]);
    let b = lp.get(b"b").unwrap();
    assert_eq!(b.value, b"a much longer value than before");
    assert_eq!(b.expire_at_ms, Some(1234));
    assert!(lp.set_value(1, b""));
    assert_eq!(lp.get(b"b").unwrap().value, b"");
    assert_eq!(lp.get(b"c").unwrap().value, b"v-c");
    assert!(!lp.set_value(3, b"x"));
}

#[test]
fn set_expire_adds_changes_and_clears_in_place() {
    let mut lp = of(&["a", "b", "c"]);
    assert!(lp.set_expire(0, Some(100)));
    assert!(lp.set_expire(2, Some(i64::MIN)));
    assert_eq!(lp.get(b"a").unwrap().expire_at_ms, Some(100));
    assert_eq!(lp.get(b"c").unwrap().expire_at_ms, Some(i64::MIN));
    assert!(lp.set_expire(0, Some(200)));
    assert_eq!(lp.get(b"a").unwrap().expire_at_ms, Some(200));
    assert!(lp.set_expire(0, None));
    assert_eq!(lp.get(b"a").unwrap().expire_at_ms, None);
    assert_eq!(lp.get(b"a").unwrap().value, b"v-a");
    assert_eq!(names(&lp), ["a", "b", "c"]);
    assert!(!lp.set_expire(3, None));
}

#[test]
fn removal_closes_the_gap_in_order() {
    let mut lp = of(&["a", "b", "c", "d"]);
    assert!(lp.remove(b"b"));
    assert!(!lp.remove(b"b"));
    assert_eq!(names(&lp), ["a", "c", "d"]);
    assert!(lp.remove_index(2));
    assert!(!lp.remove_index(2));
    assert_eq!(names(&lp), ["a", "c"]);
    lp.push(b"b", b"again", None);
    assert_eq!(names(&lp), ["a", "c", "b"]);
    assert!(lp.remove(b"a") && lp.remove(b"c") && lp.remove(b"b"));
    assert!(lp.is_empty());
    assert_eq!(lp.bytes(), 0);
}

#[test]
fn move_index_behaves_like_indexmap() {
    let mut lp = of(&["a", "b", "c", "d", "e"]);
    lp.set_expire(3, Some(9));
    lp.move_index(3, 0);
    assert_eq!(names(&lp), ["d", "a", "b", "c", "e"]);
    lp.move_index(0, 4);
    assert_eq!(names(&lp), ["a", "b", "c", "e", "d"]);
    lp.move_index(1, 2);
    assert_eq!(names(&lp), ["a", "c", "b", "e", "d"]);
    lp.move_index(2, 2);
    assert_eq!(names(&lp), ["a", "c", "b", "e", "d"]);
    assert_eq!(lp.get(b"d").unwrap().expire_at_ms, Some(9));
    assert_eq!(lp.get(b"e").unwrap().value, b"v-e");
}

#[test]
#[should_panic(expected = "move_index(0, 3) on 3 entries")]
fn move_index_out_of_range_panics() {
    of(&["a", "b", "c"]).move_index(0, 3);
}

#[test]
fn retain_keeps_order_and_counts() {
    let mut lp = of(&["a", "b", "c", "d", "e"]);
    lp.set_expire(1, Some(5));
    lp.set_expire(3, Some(50));
    let mut seen = Vec::new();
    let removed = lp.retain(|e| {
        seen.push(e.field.to_vec());
        !matches!(e.expire_at_ms, Some(at) if at < 10)
    });
    assert_eq!(removed, 1);
    assert_eq!(seen.len(), 5);
    assert_eq!(names(&lp), ["a", "c", "d", "e"]);
    assert_eq!(lp.get(b"d").unwrap().expire_at_ms, Some(50));
    assert_eq!(lp.retain(|_| false), 4);
    assert!(lp.is_empty());
}

#[test]
fn capacity_stays_tight() {
    let mut lp = Listpack::new();
    for i in 0..512 {
        lp.push(
            format!("field:{i}").as_bytes(),
            format!("value:{i}").as_bytes(),
            None,
        );
        // Growth by an eighth (or 16 bytes when small), never doubling.
        assert!(lp.capacity() <= lp.bytes() + lp.bytes() / 8 + 32, "{i}");
    }
    let full = lp.capacity();
    for i in 0..500 {
        assert!(lp.remove(format!("field:{i}").as_bytes()));
    }
    assert!(lp.capacity() < full / 10, "{} of {full}", lp.capacity());
    assert!(lp.capacity() <= lp.bytes() + lp.bytes() / 4 + 32);
}

#[test]
fn clones_compare_by_content_and_debug_lists_entries() {
    let a = of(&["a", "b"]);
    let mut b = a.clone();
    assert_eq!(a, b);
    b.set_value(0, b"x");
    assert_ne!(a, b);
    let shown = format!("{a:?}");
    assert!(shown.starts_with("[FieldView {"), "{shown}");
    assert_eq!(a.iter().len(), 2);
}

mod model {
    //! Random operation sequences against a plain Vec of entries.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Push(Vec<u8>, Vec<u8>, Option<i64>),
        InPlace(InPlace),
        SetFound(Vec<u8>, Vec<u8>, Option<i64>),
        Remove(Vec<u8>),
        RemoveIndex(usize),
        Move(usize, usize),
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        // Few distinct short fields so operations collide; sometimes a long one.
        prop_oneof![
            8 => proptest::collection::vec(prop_oneof![Just(b'a'), Just(b'b'), Just(0x80)], 0..3),
            1 => proptest::collection::vec(any::<u8>(), 100..300),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (bytes(), bytes(), ttl()).prop_map(|(f, v, t)| Op::Push(f, v, t)),
            5 => in_place(12, bytes()).prop_map(Op::InPlace),
            2 => (bytes(), bytes(), ttl()).prop_map(|(f, v, t)| Op::SetFound(f, v, t)),
            1 => bytes().prop_map(Op::Remove),
            1 => (0..12usize).prop_map(Op::RemoveIndex),
            2 => (0..12usize, 0..12usize).prop_map(|(a, b)| Op::Move(a, b)),
        ]
    }

    fn apply(lp: &mut Listpack, model: &mut Model, op: Op) {
        match op {
            Op::Push(f, v, t) => {
                if !model.iter().any(|e| e.0 == f) {
                    lp.push(&f, &v, t);
                    model.push((f, v, t));
                }
            }
            Op::InPlace(op) => apply_in_place(lp, model, op),
            Op::SetFound(f, v, t) => {
                // One find, then a value and a TTL written through the same handle.
                let at = model.iter().position(|e| e.0 == f);
                let found = lp.find(&f);
                assert_eq!(found.map(|x| x.index), at);
                if let (Some(found), Some(at)) = (found, at) {
                    assert_eq!(lp.view_at(found).field, &f[..]);
                    lp.set_value_at(found, &v);
                    // The handle is stale now; find again, as callers must.
                    let found = lp.find(&f).unwrap();
                    lp.set_expire_at(found, t);
                    model[at].1 = v;
                    model[at].2 = t;
                }
            }
            Op::Remove(f) => {
                let at = model.iter().position(|e| e.0 == f);
                assert_eq!(lp.remove(&f), at.is_some());
                if let Some(at) = at {
                    model.remove(at);
                }
            }
            Op::RemoveIndex(i) => {
                assert_eq!(lp.remove_index(i), i < model.len());
                if i < model.len() {
                    model.remove(i);
                }
            }
            Op::Move(a, b) => {
                if a < model.len() && b < model.len() {
                    lp.move_index(a, b);
                    let e = model.remove(a);
                    model.insert(b, e);
                }
            }
        }
    }

    proptest! {
        #[test]
        fn matches_a_vec_model(ops in proptest::collection::vec(op(), 1..60)) {
            let mut lp = Listpack::new();
            let mut model = Model::new();
            for op in ops {
                apply(&mut lp, &mut model, op);
                prop_assert_eq!(&snapshot(lp.iter()), &model);
                prop_assert_eq!(lp.len(), model.len());
                let size: usize = model
                    .iter()
                    .map(|e| entry_size(e.0.len(), e.1.len(), e.2.is_some()))
                    .sum();
                prop_assert_eq!(lp.bytes(), size);
                for (i, e) in model.iter().enumerate() {
                    prop_assert_eq!(lp.position(&e.0), Some(i));
                    let by_index = lp.get_index(i).unwrap();
                    prop_assert_eq!(by_index, lp.get(&e.0).unwrap());
                }
            }
        }
    }
}
