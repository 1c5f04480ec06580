import * as pulumi from "@pulumi/pulumi";

/** How dockfleet reaches hosts over SSH (DockerFleet's and SwarmCluster's `ssh`). */
export interface SshArgs {
    /** Default: "root". */
    user?: string;
    /** Private key (PEM/OpenSSH) as a secret. Required. */
    privateKey: pulumi.Input<string>;
    /** Default: 22. */
    port?: number;
}

/** The command:remote connection to a host: its own port over the fleet's, the key always secret. */
export function remoteConnection(h: { address: string; port?: number }, ssh: SshArgs) {
    return {
        host: h.address,
        port: h.port ?? ssh.port ?? 22,
        user: ssh.user ?? "root",
        privateKey: pulumi.secret(ssh.privateKey),
        // a host restarting its sshd (or under load) refuses a few dials before it answers
        dialErrorLimit: 5,
    };
}
