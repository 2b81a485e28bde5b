"""OpenAPI: the stateless JWT scheme of the status route gets a name of its own.

drf-spectacular names both simplejwt schemes "jwtAuth", which collide in one schema;
both mean the same bearer token to a client.
"""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class StatelessJWTScheme(SimpleJWTScheme):
    target_class = "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"
    name = "jwtStatelessAuth"
    priority = 1
