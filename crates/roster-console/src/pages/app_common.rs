//! What every tab of `/admin/apps/{id}/...` shares: the app's header and the tab bar
//! (`templates/app_tabs.html`, included by each tab's template).

use roster_provisioning::App;
use roster_server::AppState;

use crate::error::PageError;

/// The app as the header and tab bar show it.
#[derive(Debug, Clone)]
pub struct AppHeader {
    pub id: String,
    pub label: String,
    /// Okta's app name: `okta_org2org`, `scim2`, `ldap`, `active_directory`, `csv`.
    pub name: String,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    pub base_url: String,
    /// Whether users are pushed to this app (Provisioning To App, Assignments, Push Groups,
    /// Transformations tabs).
    pub pushes: bool,
    /// Whether users are imported from this app (Import tab, To Roster settings).
    pub imports: bool,
    /// The tab being shown: `general`, `provisioning`, `assignments`, `push-groups`, `import`,
    /// `transformations`.
    pub tab: &'static str,
}

impl AppHeader {
    pub fn of(app: &App, tab: &'static str) -> Self {
        AppHeader {
            id: app.id.clone(),
            label: app.label.clone(),
            name: app.name.as_str().to_owned(),
            status: app.status.clone(),
            base_url: app.base_url.clone(),
            pushes: app.name.pushes(),
            imports: app.name.imports(),
            tab,
        }
    }

    pub fn is(&self, tab: &str) -> bool {
        self.tab == tab
    }
}

/// The provisioning engine, or the page that says this server runs without it.
pub fn engine(state: &AppState) -> Result<&roster_provisioning::Provisioning, PageError> {
    state.provisioning.as_ref().ok_or_else(|| {
        PageError::from_api(
            roster_server::error::ApiError::new(
                axum::http::StatusCode::NOT_IMPLEMENTED,
                "E0000060",
                "Provisioning is not available on this server",
            )
            .with_cause("this server was started without the provisioning engine")
            .with_remediation("run `roster serve`, which starts it"),
        )
    })
}

/// The app and its header for a tab.
pub async fn load(
    state: &AppState,
    id: &str,
    tab: &'static str,
) -> Result<(App, AppHeader), PageError> {
    let app = engine(state)?.get_app(id).await?;
    let header = AppHeader::of(&app, tab);
    Ok((app, header))
}
