use super::*;

#[test]
fn ages_read_well() {
    assert_eq!(age(5), "5 s");
    assert_eq!(age(125), "2 min");
    assert_eq!(age(7_500), "2 h 5 min");
    assert_eq!(age(86_400 * 3 + 3_600), "3 d 1 h");
}

#[test]
fn a_pages_path_names_its_navigation_section() {
    use layout::Section;
    for (path, section) in [
        ("/incidents", Some(Section::Incidents)),
        ("/incidents/12", Some(Section::Incidents)),
        ("/incidents/new", Some(Section::Declare)),
        ("/triage", Some(Section::Triage)),
        ("/oncall", Some(Section::OnCall)),
        ("/reports/new", Some(Section::Report)),
        ("/admin/users", Some(Section::Users)),
        ("/admin/users/ana", Some(Section::Users)),
        ("/admin", Some(Section::Setup)),
        ("/admin/settings", Some(Section::Setup)),
        ("/adminx", None),
        ("/incidentsx", None),
        ("/login", None),
        ("/", None),
    ] {
        assert_eq!(Section::of_path(path), section, "{path}");
    }
}
