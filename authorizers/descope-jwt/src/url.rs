//! URL checks for every endpoint the crate fetches keys from (Descope's base and JWKS URLs, a
//! Cognito pool's endpoint overrides): `https://`, or plain `http://` on loopback only.

use crate::error::ConfigError;

/// Checks an optional URL setting; `setting` names it in the error.
pub(crate) fn check_url(setting: &'static str, value: Option<&str>) -> Result<(), ConfigError> {
    let Some(value) = value else { return Ok(()) };
    check_endpoint_url(value).map_err(|reason| ConfigError::InvalidUrl {
        setting,
        value: value.to_owned(),
        reason,
    })
}

/// Checks a key or API URL: `https://`, or plain `http://` on a loopback host only (127.0.0.0/8,
/// `::1`, `localhost`: a local emulator or Cognito stand-in). Keys fetched over plain http from
/// anywhere else could be swapped by anyone on the path. `Err` says what is wrong.
pub fn check_endpoint_url(value: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(value).map_err(|e| e.to_string())?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(
            "plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost); use https:// so \
             keys cannot be swapped on the way"
                .to_owned(),
        ),
        other => Err(format!("scheme {other:?} is not https")),
    }
}

/// The URL parser has already normalised the host (`127.1` is `127.0.0.1`, names are lowercase).
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_on_loopback_only() {
        for ok in [
            "https://api.descope.com/v2/keys/P2x",
            "http://127.0.0.1:8080/keys",
            "http://127.1:8080",
            "http://[::1]:9000/",
            "http://localhost/x",
        ] {
            assert_eq!(check_endpoint_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://api.example.com",
            "http://10.0.0.1/keys",
            "ftp://keys",
            "not a url",
        ] {
            assert!(check_endpoint_url(bad).is_err(), "{bad}");
        }
        assert_eq!(check_url("JWKS URL", None), Ok(()));
        let err = check_url("JWKS URL", Some("http://example.com")).unwrap_err();
        assert!(err.to_string().contains("JWKS URL"), "{err}");
    }
}
