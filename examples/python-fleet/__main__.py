"""dockfleet's DockerFleet from Python, through the component package (`pulumi package add`).

The generated SDK (sdks/dockfleet, package pulumi_dockfleet) has snake_case names for the schema's
inputs; nested dicts take the snake_case keys of the input types (FleetHostArgsDict,
DaemonConfigArgsDict, ...), map keys (log options, labels) stay as written. `ssh_private_key`,
`http_proxy` and `https_proxy` are made secret by the SDK.
"""
import pulumi
import pulumi_dockfleet as dockfleet

config = pulumi.Config()

# daemon.json on the host, applied over SSH with a verified restart (more hosts: more entries).
fleet = dockfleet.DockerFleet(
    "fleet",
    hosts=[{
        "name": "docker01",
        "address": config.require("host"),
        "port": config.get_int("sshPort") or 22,
        # the host's SSH host key (ssh-keyscan -t ed25519 HOST, its fingerprint checked on the host)
        "host_key": config.require("hostKey"),
        "role": dockfleet.HostRole.MANAGER,
    }],
    ssh_user=config.get("sshUser") or "root",
    ssh_private_key=config.require_secret("sshPrivateKey"),
    daemon={
        "registry_mirrors": ["https://registry-mirror.corp.example"],
        "log_driver": "json-file",
        "log_opts": {"max-size": "10m", "max-file": "3"},
        "metrics_addr": "127.0.0.1:9323",
        "labels": {"dockfleet.example": "python-fleet"},
    },
    smoke_image=config.get("smokeImage") or "busybox:latest",
)

pulumi.export("daemonJson", fleet.daemon_json)
pulumi.export("restartBatches", fleet.batches)
