package main

// schemaJSON is a minimal Pulumi package schema for the subset implemented:
// command:remote:Command with the property names of @pulumi/command@1.2.1.
const schemaJSON = `{
  "name": "command",
  "displayName": "Command",
  "version": "1.2.1",
  "description": "dockfleet's implementation of command:remote:Command (subset of the Pulumi command provider 1.2.1).",
  "config": {},
  "provider": {"type": "object"},
  "types": {
    "command:remote:Logging": {
      "type": "string",
      "enum": [
        {"name": "Stdout", "value": "stdout"},
        {"name": "Stderr", "value": "stderr"},
        {"name": "StdoutAndStderr", "value": "stdoutAndStderr"},
        {"name": "None", "value": "none"}
      ]
    },
    "command:remote:ProxyConnection": {
      "type": "object",
      "properties": {
        "agentSocketPath": {"type": "string"},
        "dialErrorLimit": {"type": "integer", "default": 10},
        "host": {"type": "string"},
        "hostKey": {"type": "string"},
        "password": {"type": "string", "secret": true},
        "perDialTimeout": {"type": "integer", "default": 15},
        "port": {"type": "number", "default": 22},
        "privateKey": {"type": "string", "secret": true},
        "privateKeyPassword": {"type": "string", "secret": true},
        "user": {"type": "string", "default": "root"}
      },
      "required": ["host"]
    },
    "command:remote:Connection": {
      "type": "object",
      "properties": {
        "agentSocketPath": {"type": "string"},
        "dialErrorLimit": {"type": "integer", "default": 10},
        "host": {"type": "string"},
        "hostKey": {"type": "string"},
        "password": {"type": "string", "secret": true},
        "perDialTimeout": {"type": "integer", "default": 15},
        "port": {"type": "number", "default": 22},
        "privateKey": {"type": "string", "secret": true},
        "privateKeyPassword": {"type": "string", "secret": true},
        "proxy": {"$ref": "#/types/command:remote:ProxyConnection"},
        "user": {"type": "string", "default": "root"}
      },
      "required": ["host"]
    }
  },
  "resources": {
    "command:remote:Command": {
      "description": "A command to run on a remote host. The connection is established via ssh.",
      "properties": {
        "addPreviousOutputInEnv": {"type": "boolean"},
        "connection": {"$ref": "#/types/command:remote:Connection", "secret": true},
        "create": {"type": "string"},
        "delete": {"type": "string"},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "logging": {"$ref": "#/types/command:remote:Logging"},
        "stderr": {"type": "string"},
        "stdin": {"type": "string"},
        "stdout": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true},
        "update": {"type": "string"}
      },
      "required": ["connection", "stderr", "stdout"],
      "inputProperties": {
        "addPreviousOutputInEnv": {"type": "boolean", "default": true},
        "connection": {"$ref": "#/types/command:remote:Connection", "secret": true},
        "create": {"type": "string"},
        "delete": {"type": "string"},
        "environment": {"type": "object", "additionalProperties": {"type": "string"}},
        "logging": {"$ref": "#/types/command:remote:Logging"},
        "stdin": {"type": "string"},
        "triggers": {"type": "array", "items": {"$ref": "pulumi.json#/Any"}, "replaceOnChanges": true},
        "update": {"type": "string"}
      },
      "requiredInputs": ["connection"]
    }
  }
}
`
