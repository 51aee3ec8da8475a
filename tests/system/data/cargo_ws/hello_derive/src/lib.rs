//! `#[derive(Hello)]`: implements `Hello::hello()` returning the type's name. Uses only the
//! `proc_macro` API (no syn/quote: the fixture must build offline without crates.io).
use proc_macro::TokenStream;

#[proc_macro_derive(Hello)]
pub fn derive_hello(input: TokenStream) -> TokenStream {
    let text = input.to_string();
    let mut words = text.split_whitespace();
    let mut name = None;
    while let Some(w) = words.next() {
        if w == "struct" || w == "enum" {
            name = words.next().map(|n| {
                n.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .to_string()
            });
            break;
        }
    }
    let name = name.expect("#[derive(Hello)] needs a struct or enum");
    format!("impl Hello for {name} {{ fn hello() -> &'static str {{ \"{name}\" }} }}")
        .parse()
        .unwrap()
}
