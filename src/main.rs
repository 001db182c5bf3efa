fn main() {
    gradlab::ui::mount();
}
