import * as assert from "assert";
import { BUILT_IMAGE, ComposeImportError, importCompose, importComposeWithBuilds, repositoryOf, shellSplit } from "./compose-import";
import { renderCompose, renderNetwork, renderService } from "./render";
import { yumRepoStack } from "./fixtures";
import { validateSwarmStack } from "./validate";
import { effectiveNetworks } from "./spec";

const KAFKA = `
version: "3.7"
x-logging: &restart
  condition: on-failure
  delay: 10s
services:
  zookeeper:
    image: zookeeper:3.8
    environment:
      ZOO_MY_ID: 1
      ZOO_SERVERS: server.1=0.0.0.0:2888:3888;2181
    volumes:
      - zk_data:/data
    networks: [kafka]
    deploy:
      replicas: 1
      placement:
        constraints: [node.labels.kafka == true]
      restart_policy: *restart
  kafka:
    image: wurstmeister/kafka:2.13-2.8.1
    environment:
      - KAFKA_BROKER_ID=1
      - KAFKA_ZOOKEEPER_CONNECT=zookeeper:2181
      - KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://kafka:9092
      - KAFKA_HEAP_OPTS=-Xmx1G -Xms1G
    ports:
      - target: 9094
        published: 9094
        protocol: tcp
        mode: host
    volumes:
      - type: volume
        source: kafka_data
        target: /kafka
    networks:
      kafka:
    healthcheck:
      test: ["CMD-SHELL", "kafka-topics.sh --bootstrap-server localhost:9092 --list"]
      interval: 30s
      timeout: 10s
      retries: 5
      start_period: 1m
    deploy:
      mode: replicated
      replicas: 1
      update_config:
        parallelism: 1
        delay: 30s
        failure_action: rollback
        order: stop-first
      rollback_config:
        parallelism: 1
        failure_action: pause
      resources:
        limits: { cpus: "2", memory: 2G }
        reservations: { cpus: 0.5, memory: 1G }
      placement:
        constraints:
          - node.labels.kafka == true
        max_replicas_per_node: 1
    stop_grace_period: 1m
  kafka-manager:
    image: hlebalbau/kafka-manager:stable
    command: -Dpidfile.path=/dev/null -Dhttp.port=9000
    environment:
      ZK_HOSTS: zookeeper:2181
    ports:
      - "9000:9000"
    networks:
      - kafka
    labels:
      team: data
    deploy:
      labels:
        traefik.enable: "false"
networks:
  kafka:
    driver: overlay
    attachable: true
volumes:
  zk_data:
  kafka_data: {}
`;

const YUM_REPO = `
version: "3.8"
services:
  nginx:
    image: nginx:1.25-alpine
    ports: ["8080:80"]
    healthcheck:
      test: wget -qO- http://localhost/ || exit 1
      interval: 30s
      timeout: 5s
      retries: 3
      start_period: 90s
    volumes:
      - repodata:/usr/share/nginx/html:ro
      - /etc/localtime:/etc/localtime:ro
    environment:
      TZ: Europe/Berlin
    deploy:
      replicas: 2
      update_config: { parallelism: 1, delay: 10s, failure_action: rollback, order: start-first }
      placement: { constraints: ["node.labels.zone == a"] }
      resources: { limits: { cpus: "0.5", memory: 256M } }
volumes:
  repodata:
    driver: local
    driver_opts:
      type: nfs
      o: addr=10.20.0.10,nfsvers=4,ro,hard,timeo=600
      device: ":/export/yum"
`;

describe("importCompose", () => {
    it("imports the kafka stack (zookeeper, kafka, kafka-manager)", () => {
        const a = importCompose(KAFKA, "kafka");
        assert.deepStrictEqual(validateSwarmStack(a), []);
        assert.deepStrictEqual(a.networks, { kafka: { driver: "overlay", attachable: true } });
        assert.strictEqual(a.nfsVolumes, undefined);
        assert.deepStrictEqual(a.services.zookeeper, {
            image: "zookeeper:3.8",
            replicas: 1,
            env: { ZOO_MY_ID: "1", ZOO_SERVERS: "server.1=0.0.0.0:2888:3888;2181" },
            restartPolicy: { condition: "on-failure", delay: "10s" },
            placement: { constraints: ["node.labels.kafka == true"] },
            mounts: [{ type: "volume", source: "zk_data", target: "/data" }],
            networks: ["kafka"],
        });
        assert.deepStrictEqual(a.services.kafka, {
            image: "wurstmeister/kafka:2.13-2.8.1",
            mode: "replicated",
            replicas: 1,
            env: { KAFKA_BROKER_ID: "1", KAFKA_ZOOKEEPER_CONNECT: "zookeeper:2181", KAFKA_ADVERTISED_LISTENERS: "PLAINTEXT://kafka:9092", KAFKA_HEAP_OPTS: "-Xmx1G -Xms1G" },
            ports: [{ target: 9094, published: 9094, protocol: "tcp", mode: "host" }],
            healthcheck: { test: ["CMD-SHELL", "kafka-topics.sh --bootstrap-server localhost:9092 --list"], interval: "30s", timeout: "10s", retries: 5, startPeriod: "1m" },
            update: { parallelism: 1, delay: "30s", failureAction: "rollback", order: "stop-first" },
            rollback: { parallelism: 1, failureAction: "pause" },
            placement: { constraints: ["node.labels.kafka == true"], maxReplicasPerNode: 1 },
            resources: { limits: { cpus: "2", memory: "2G" }, reservations: { cpus: "0.5", memory: "1G" } },
            mounts: [{ type: "volume", source: "kafka_data", target: "/kafka" }],
            networks: ["kafka"],
            stopGracePeriod: "1m",
        });
        assert.deepStrictEqual(a.services["kafka-manager"], {
            image: "hlebalbau/kafka-manager:stable",
            args: ["-Dpidfile.path=/dev/null", "-Dhttp.port=9000"],
            env: { ZK_HOSTS: "zookeeper:2181" },
            ports: [{ target: 9000, published: 9000 }],
            networks: ["kafka"],
            labels: { "traefik.enable": "false" },
            containerLabels: { team: "data" },
        });
    });

    it("imports the yum_repo nginx stack with NFS driver_opts into the same services as the typed spec", () => {
        const a = importCompose(YUM_REPO, "yum_repo");
        assert.deepStrictEqual(validateSwarmStack(a), []);
        assert.deepStrictEqual(a.nfsVolumes, { repodata: { server: "10.20.0.10", path: "/export/yum", nfsVersion: "4", options: ["ro", "hard", "timeo=600"] } });
        assert.deepStrictEqual(a.services.nginx.mounts, [
            { type: "nfs", source: "repodata", target: "/usr/share/nginx/html", readOnly: true },
            { type: "bind", source: "/etc/localtime", target: "/etc/localtime", readOnly: true },
        ]);
        assert.deepStrictEqual(a.services.nginx.healthcheck!.test, ["CMD-SHELL", "wget -qO- http://localhost/ || exit 1"]);
        // Same engine-side result as the typed spec with tz (TZ env + /etc/localtime), except the network.
        const typed = renderService(yumRepoStack(), "nginx") as any;
        const imported = renderService(a, "nginx") as any;
        assert.deepStrictEqual(imported.taskSpec.containerSpec, typed.taskSpec.containerSpec);
        assert.deepStrictEqual([imported.updateConfig, imported.endpointSpec, imported.mode], [typed.updateConfig, typed.endpointSpec, typed.mode]);
    });

    it("round-trips: importCompose(renderCompose(spec)) renders the same services and networks", () => {
        for (const spec of [yumRepoStack(), importCompose(KAFKA, "kafka")]) {
            const back = importCompose(renderCompose(spec), spec.name);
            for (const s of Object.keys(spec.services)) assert.deepStrictEqual(renderService(back, s), renderService(spec, s), s);
            assert.deepStrictEqual(Object.keys(effectiveNetworks(back)), Object.keys(effectiveNetworks(spec)));
            for (const n of Object.keys(effectiveNetworks(spec))) assert.deepStrictEqual(renderNetwork(back, n), renderNetwork(spec, n));
        }
    });

    it("rejects unsupported keys with their compose path and the supported list", () => {
        const text = `
services:
  web:
    image: nginx
    build: .
    privileged: true
    deploy:
      placement:
        preferences: [{ spread: node.labels.zone }]
secrets:
  s: { file: ./s }
`;
        assert.throws(() => importCompose(text, "x"), (e: unknown) => {
            assert.ok(e instanceof ComposeImportError);
            assert.deepStrictEqual(e.issues.map((i) => i.field), ["secrets.s.file", "services.web.build", "services.web.privileged", "services.web.deploy.placement.preferences"]);
            assert.match(e.issues[1].message, /^not supported by dockfleet \(supported: image, command, entrypoint, /);
            assert.match(e.message, /services\.web\.build: not supported by dockfleet/);
            return true;
        });
    });

    it("rejects interpolation, shell-provided values, host-IP ports, undeclared volumes and non-NFS drivers", () => {
        const cases: [string, string, RegExp][] = [
            ["services:\n  a:\n    image: app:${TAG}\n", "services.a.image", /interpolation is not supported/],
            ["services:\n  a:\n    image: app\n    environment: [SECRET]\n", "services.a.environment[0]", /taken from the deploying shell/],
            ["services:\n  a:\n    image: app\n    ports: ['127.0.0.1:80:80']\n", "services.a.ports[0]", /no host IP/],
            ["services:\n  a:\n    image: app\n    volumes: ['data:/data']\n", "services.a.volumes[0]", /volume "data" is not declared/],
            ["services:\n  a:\n    image: app\nvolumes:\n  v:\n    driver: rexray\n", "volumes.v.driver", /only the local driver/],
            ["services:\n  a:\n    image: app\n    volumes: ['v:/v']\nvolumes:\n  v:\n    name: fixed\n    driver_opts: { type: nfs, o: 'addr=10.0.0.1', device: ':/x' }\n", "volumes.v.name", /fixed volume names are not supported/],
            ["services:\n  a:\n    image: app\nnetworks:\n  n:\n    driver: bridge\n", "networks.n.driver", /swarm stacks use overlay/],
            ["services:\n  a:\n    build: .\n", "services.a.image", /build is not supported/],
            ["version: '2.4'\nservices:\n  a:\n    image: app\n", "version", /compose file format 3.x/],
            ["services:\n  a:\n    image: app\n    networks:\n      n:\n        aliases: [x]\nnetworks:\n  n: {}\n", "services.a.networks.n", /aliases/],
        ];
        for (const [text, field, message] of cases) {
            assert.throws(() => importCompose(text, "x"), (e: unknown) => {
                assert.ok(e instanceof ComposeImportError, String(e));
                const hit = e.issues.find((i) => i.field === field);
                assert.ok(hit, `${field} not in ${JSON.stringify(e.issues)}`);
                assert.match(hit.message, message);
                return true;
            });
        }
    });

    it("unescapes $$, handles healthcheck disable and splits string commands like a shell", () => {
        const a = importCompose("services:\n  a:\n    image: app\n    entrypoint: sh -c 'echo $$HOME \"a b\"'\n    healthcheck:\n      disable: true\n", "x");
        assert.deepStrictEqual(a.services.a.command, ["sh", "-c", 'echo $HOME "a b"']);
        assert.deepStrictEqual(a.services.a.healthcheck, { test: ["NONE"] });
        assert.deepStrictEqual(shellSplit(`a "b c" 'd e' f\\ g ""`), ["a", "b c", "d e", "f g", ""]);
    });

    it("importComposeWithBuilds reads build: sections (string or mapping); the service's image stands in until the digest is pinned", () => {
        const text = [
            "services:",
            "  gateway:",
            "    image: 10.232.0.11:5000/team/gateway:1.2",
            "    build:",
            "      context: ./gateway",
            "      dockerfile: Dockerfile.prod",
            "      target: runtime",
            "      args: { VERSION: '2', GOFLAGS: -mod=vendor }",
            "  worker:",
            "    build: ./worker",
            "  cache:",
            "    image: redis:7",
            "",
        ].join("\n");
        const r = importComposeWithBuilds(text, "app");
        assert.deepStrictEqual(r.builds, {
            gateway: { context: "./gateway", dockerfile: "Dockerfile.prod", target: "runtime", args: { VERSION: "2", GOFLAGS: "-mod=vendor" }, name: "team/gateway" },
            worker: { context: "./worker" },
        });
        assert.deepStrictEqual(Object.fromEntries(Object.entries(r.spec.services).map(([n, s]) => [n, s.image])), { gateway: BUILT_IMAGE, worker: BUILT_IMAGE, cache: "redis:7" });
        assert.deepStrictEqual(validateSwarmStack(r.spec), []);
        // the library's importCompose still refuses builds (it has no image to run)
        assert.throws(() => importCompose(text, "app"), /services\.gateway\.build: not supported by dockfleet/);
    });

    it("importComposeWithBuilds: unsupported build keys and shell-provided args are errors", () => {
        assert.throws(() => importComposeWithBuilds("services:\n  a:\n    build: { context: ., labels: { a: b }, args: [TOKEN] }\n", "x"), (e: unknown) => {
            assert.ok(e instanceof ComposeImportError);
            assert.deepStrictEqual(e.issues.map((i) => `${i.field}: ${i.message}`), [
                "services.a.build.labels: not supported by dockfleet (supported: context, dockerfile, args, target)",
                'services.a.build.args[0]: "TOKEN" has no value: build args taken from the deploying shell are not supported; give KEY=value',
            ]);
            return true;
        });
    });

    it("repositoryOf drops the registry host and the tag or digest", () => {
        assert.deepStrictEqual(["10.0.0.5:5000/team/app:1", "localhost/app", "team/app:latest", "app@sha256:ab", "registry.example/app"].map(repositoryOf), ["team/app", "app", "team/app", "app", "app"]);
    });
    it("reads secrets (external: their values come from the stack config) and configs (file or content) and the services' uses", () => {
        const text = `
services:
  api:
    image: api:1
    secrets: [db_password, { source: tls_key, target: server.key, uid: "101", gid: "101", mode: 0400 }]
    configs: [{ source: nginx_conf, target: /etc/nginx/nginx.conf, mode: 0440 }, motd]
secrets:
  db_password: { external: true }
  tls_key: { external: true }
configs:
  nginx_conf: { file: ./nginx.conf }
  motd: { content: "hello" }
`;
        const spec = importCompose(text, "app");
        assert.deepStrictEqual(spec.configs, { nginx_conf: { file: "./nginx.conf" }, motd: { content: "hello" } });
        assert.strictEqual(spec.secrets, undefined);
        assert.deepStrictEqual(spec.services.api.secrets, [{ source: "db_password" }, { source: "tls_key", target: "server.key", mode: "0400", uid: "101", gid: "101" }]);
        assert.deepStrictEqual(spec.services.api.configs, [{ source: "nginx_conf", target: "/etc/nginx/nginx.conf", mode: "0440" }, { source: "motd" }]);
    });

    it("refuses secret values in the compose file, naming where they belong", () => {
        const issues = (text: string) => {
            try {
                importCompose(text, "app");
            } catch (e) {
                return (e as ComposeImportError).issues.map((i) => `${i.field}: ${i.message}`);
            }
            return [];
        };
        const hint = "set the value as a stack config secret: pulumi config set --secret --path 'dockfleet:stackSecrets.app.db' (the value on stdin), and declare it here as { external: true }";
        assert.deepStrictEqual(issues("services:\n  a: { image: app }\nsecrets:\n  db: { file: ./db.txt }\n"), [`secrets.db.file: dockfleet does not read secret values from files or the environment; ${hint}`]);
        assert.deepStrictEqual(issues("services:\n  a: { image: app }\nsecrets:\n  db: { environment: DB }\n"), [`secrets.db.environment: dockfleet does not read secret values from files or the environment; ${hint}`]);
        assert.deepStrictEqual(issues("services:\n  a: { image: app }\nsecrets:\n  db: {}\n"), [`secrets.db: needs a value: ${hint}`]);
        assert.deepStrictEqual(issues("services:\n  a: { image: app }\nconfigs:\n  c: { external: true }\n"), ["configs.c.external: external configs are not supported: dockfleet creates and versions the stack's configs; give file: or content:"]);
        assert.deepStrictEqual(issues("services:\n  a: { image: app, configs: [{ source: c, mode: rw }] }\nconfigs:\n  c: { content: x }\n"), ['services.a.configs[0].mode: "rw" is not a file mode such as 0440']);
    });
});
