use hello_derive::Hello;

pub trait Hello {
    fn hello() -> &'static str;
}

#[derive(Hello)]
struct Greeter;

#[derive(Hello)]
#[allow(dead_code)]
enum Mood {
    Happy,
}

fn main() {
    println!("hello from {} and {}", Greeter::hello(), Mood::hello());
    println!("{}", mid::describe());
    #[cfg(feature = "extra")]
    println!("{}", mid::extra());
}
