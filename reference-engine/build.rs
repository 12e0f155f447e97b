// Compiles the long double shim HINCRBYFLOAT needs (see csrc/longdouble.c for why).
fn main() {
    println!("cargo:rerun-if-changed=csrc/longdouble.c");
    cc::Build::new()
        .file("csrc/longdouble.c")
        .warnings(true)
        .compile("hclongdouble");
}
