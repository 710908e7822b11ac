// The shipped guides are embedded at compile time; a new file must rebuild.
fn main() {
    println!("cargo:rerun-if-changed=../../data/services");
}
