// The OpenAPI 3.0 description of rest_api.cc's routes (tests/appliance/mgmt checks that the two
// list the same operations with the same capabilities).
#include "appliance/mgmt/rest_api.h"

namespace vtps::mgmt {

std::string_view openApiDocument() {
  static constexpr std::string_view kDocument =
      R"json({"openapi": "3.0.3", "info": {"title": "vtps management API", "version": "1"},
 "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "basic": {"type": "http", "scheme": "basic"}}, "schemas": {"Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}, "diagnostics": {"type": "array", "items": {"type": "string"}}}}}},
 "paths": {
  "/api/v1/openapi.json": {
   "get": {"summary": "This OpenAPI document", "responses": {"200": {"description": "OK"}}}
  },
  "/api/v1/status": {
   "get": {"summary": "Daemon status (vtpsctl status)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/config/running": {
   "get": {"summary": "The running config's YAML text and SHA-256 (vtpsctl config export)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/config/running/display": {
   "get": {"summary": "The running config as TOS statements (display conf running)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}], "parameters": [{"name": "section", "in": "query", "schema": {"type": "string", "enum": ["ssl-inspection"]}}]}
  },
  "/api/v1/config/history": {
   "get": {"summary": "The previous configs kept for rollback", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/config/apply": {
   "post": {"summary": "Validate and apply a config (vtpsctl config apply)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "ssl-inspection-management", "security": [{"bearer": []}, {"basic": []}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["yaml"], "properties": {"yaml": {"type": "string"}, "file": {"type": "string", "description": "label used in diagnostics"}}}}}}}
  },
  "/api/v1/config/rollback": {
   "post": {"summary": "Apply a previous config again (vtpsctl config rollback)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "ssl-inspection-management", "security": [{"bearer": []}, {"basic": []}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"steps": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1}}}}}}}
  },
  "/api/v1/server-proxies": {
   "get": {"summary": "SSL server proxies the caller's group may see", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/client-proxies": {
   "get": {"summary": "SSL client proxies the caller's group may see", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/trust-stores": {
   "get": {"summary": "Trust stores", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/decryption-policies": {
   "get": {"summary": "Client decryption policies the caller's group may see", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/profiles": {
   "get": {"summary": "Inspection profiles and their SSL policies", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/exclusions": {
   "get": {"summary": "Domain exclusions from the config", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/device/ssl": {
   "get": {"summary": "The device's SSL inspection settings", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/certificates": {
   "get": {"summary": "Keystore certificates (vtpsctl cert list)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/certificates/signing": {
   "post": {"summary": "Create a signing certificate (vtpsctl cert new-signing)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "admin-x509-certificate-management", "security": [{"bearer": []}, {"basic": []}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "cn"], "properties": {"name": {"type": "string"}, "cn": {"type": "string"}, "o": {"type": "string"}, "c": {"type": "string"}, "key": {"type": "string", "default": "rsa:2048"}, "days": {"type": "integer", "default": 3650}, "exportable": {"type": "boolean"}}}}}}}
  },
  "/api/v1/certificates/refresh": {
   "post": {"summary": "Recompute every certificate's status", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "admin-x509-certificate-management", "security": [{"bearer": []}, {"basic": []}]}
  },
  "/api/v1/certificates/{name}": {
   "delete": {"summary": "Delete a certificate the config does not reference", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "admin-x509-certificate-management", "security": [{"bearer": []}, {"basic": []}], "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}]}
  },
  "/api/v1/ca-certificates": {
   "get": {"summary": "Imported CA certificates (vtpsctl ca list)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]},
   "post": {"summary": "Import a CA certificate (vtpsctl ca import)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "admin-x509-certificate-management", "security": [{"bearer": []}, {"basic": []}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["name", "pem"], "properties": {"name": {"type": "string"}, "pem": {"type": "string"}}}}}}}
  },
  "/api/v1/ca-certificates/{name}": {
   "delete": {"summary": "Delete a CA certificate no trust store references", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "admin-x509-certificate-management", "security": [{"bearer": []}, {"basic": []}], "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}]}
  },
  "/api/v1/device/management-certificate": {
   "get": {"summary": "The HTTPS certificate of this API", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]},
   "put": {"summary": "Replace the HTTPS certificate (used from the next vtpsd start)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "device-x509-certification-configuration", "security": [{"bearer": []}, {"basic": []}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["certificate", "key"], "properties": {"certificate": {"type": "string"}, "key": {"type": "string"}}}}}}}
  },
  "/api/v1/logs/{log}": {
   "get": {"summary": "Log entries, newest first: ssl, system, failed or audit; any other query parameter filters on that top-level field", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}], "parameters": [{"name": "log", "in": "path", "required": true, "schema": {"type": "string", "enum": ["ssl", "system", "failed", "audit"]}}, {"name": "offset", "in": "query", "schema": {"type": "integer", "default": 0}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100, "maximum": 1000}}]}
  },
  "/api/v1/counters": {
   "get": {"summary": "Counter groups (debug np stats show)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}], "parameters": [{"name": "group", "in": "query", "schema": {"type": "string"}}]}
  },
  "/api/v1/sessions": {
   "get": {"summary": "Live SSL sessions (show tse ssl-inspection)", "responses": {"200": {"description": "OK"}, "400": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "401": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}, "403": {"description": "refused", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}, "x-vtps-capability": "view", "security": [{"bearer": []}, {"basic": []}]}
  }
}})json";
  return kDocument;
}

}  // namespace vtps::mgmt
