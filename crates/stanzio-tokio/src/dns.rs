//! DNS SRV lookup for a client domain (RFC 6120 §3.2, XEP-0368) through
//! hickory-resolver, with the system's resolver configuration.

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RData;
use stanzio_blocking::OsRng;
use stanzio_blocking::srv::{Endpoint, SrvRecord, order_srv};

use crate::Error;

/// The endpoints of `domain`, in the order to try them: the
/// `_xmpp-client._tcp` and `_xmpps-client._tcp` records mixed by priority
/// and weight (XEP-0368 §3), or, when the domain has neither, the domain
/// itself on 5222 (RFC 6120 §3.2.2).
///
/// # Errors
///
/// [`Error::ServiceUnavailable`] when the records say "no service" (target
/// `.`); [`Error::Io`] when the system resolver cannot be configured. A
/// failed lookup counts as "no records" and falls back, as RFC 6120
/// §3.2.2 allows.
pub async fn resolve(domain: &str) -> Result<Vec<Endpoint>, Error> {
    resolve_with(&system_resolver()?, domain).await
}

/// The resolver of the system's configuration (`/etc/resolv.conf`).
///
/// # Errors
///
/// [`Error::Io`] when the configuration cannot be read.
pub fn system_resolver() -> Result<TokioResolver, Error> {
    TokioResolver::builder_tokio()
        .and_then(|builder| builder.build())
        .map_err(|error| Error::Io(std::io::Error::other(error)))
}

/// As [`resolve`], with a resolver of the caller's (other name servers,
/// DNS over TLS, a cache shared across clients).
///
/// # Errors
///
/// As [`resolve`].
pub async fn resolve_with(resolver: &TokioResolver, domain: &str) -> Result<Vec<Endpoint>, Error> {
    let domain = domain.trim_end_matches('.');
    let (starttls, direct) = tokio::join!(
        resolver.srv_lookup(format!("_xmpp-client._tcp.{domain}.")),
        resolver.srv_lookup(format!("_xmpps-client._tcp.{domain}.")),
    );
    let mut records = Vec::new();
    for (lookup, direct_tls) in [(starttls, false), (direct, true)] {
        match lookup {
            Ok(lookup) => {
                records.extend(
                    lookup
                        .answers()
                        .iter()
                        .filter_map(|record| match &record.data {
                            RData::SRV(srv) => Some(SrvRecord {
                                priority: srv.priority,
                                weight: srv.weight,
                                port: srv.port,
                                target: srv.target.to_ascii().trim_end_matches('.').to_owned(),
                                direct_tls,
                            }),
                            _ => None,
                        }),
                );
            }
            Err(error) => {
                tracing::debug!(%error, direct_tls, domain, "no SRV records");
            }
        }
    }
    let ordered = order_srv(records, &mut OsRng::new())?;
    if ordered.is_empty() {
        return Ok(vec![Endpoint::fallback(domain)]);
    }
    tracing::debug!(domain, endpoints = ordered.len(), "SRV records");
    Ok(ordered)
}
