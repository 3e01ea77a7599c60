"""Health checks: configured targets go in, a `HealthReport` comes out.

`targets` validates the `health:` section of errcode.yml against the catalog's products;
`checks` runs every target's endpoints concurrently with httpx (capped bodies, same-host
redirects only, admin checks only for allowed viewers); `body` reads what an endpoint
answered; `explain` maps a failure to catalog entries the way triage maps a paste;
`render` lays a report out as text and JSON.
"""
