#!/usr/bin/env python3
"""Times `routeguard lint` on generated Kubernetes manifests of growing size, to show how the
adapters that look across objects scale. Prints a Markdown table for docs/performance.md.

    python3 benches/kubernetes-scaling.py [ROUTEGUARD] [SIZES...]

`gateway` projects hold N Gateway API HTTPRoutes (in files of 500) behind N/50 Gateways of an
Envoy Gateway class, N/10 Services with Linkerd annotations (every tenth route is also a child
of one), a ServiceProfile for every 25th Service, an Envoy Gateway BackendTrafficPolicy per tenth
route, one per fourth Gateway's listener and one picking Gateways by label, and N/50 Kong
Ingresses naming KongPlugins: every cross-object lookup of those adapters runs. `kuma` projects
hold N MeshHTTPRoutes, each named by a MeshTimeout. CPU is user time, memory the peak resident
set (`/usr/bin/time`), median of RUNS runs (3 unless set).
"""
import os
import statistics
import subprocess
import sys
import tempfile


def gateway(n):
    gateways = max(1, n // 50)
    cluster = [
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: eg\n"
        "spec:\n  controllerName: gateway.envoyproxy.io/gatewayclass-controller"
    ]
    for g in range(gateways):
        cluster.append(f"""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw{g}
  labels: {{tier: t{g % 5}}}
spec:
  gatewayClassName: eg
  listeners:
    - name: http
      hostname: gw{g}.example.com
      port: 80
      protocol: HTTP
    - name: other
      hostname: other{g}.example.com
      port: 8080
      protocol: HTTP""")
    routes = {}
    for i in range(n):
        parent = f"    - name: gw{i % gateways}\n" + ("      sectionName: http\n" if i % 2 else "")
        if i % 10 == 0:
            parent += f"    - name: svc{i // 10}\n      kind: Service\n      group: core\n      port: 8080\n"
        if i % 3 == 0:
            own = "      retry:\n        attempts: 2"
        else:
            own = "      timeouts:\n        request: 3s\n        backendRequest: 1s"
        routes.setdefault(f"routes{i // 500:03}.yaml", []).append(f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: r{i}
spec:
  parentRefs:
{parent.rstrip()}
  rules:
    - name: main
      matches:
        - path:
            type: PathPrefix
            value: /r{i}
{own}
      backendRefs:
        - name: svc{i // 10}
          port: 8080""")
    for s in range(n // 10):
        cluster.append(f"""apiVersion: v1
kind: Service
metadata:
  name: svc{s}
  annotations:
    timeout.linkerd.io/request: 5s
spec:
  ports:
    - port: 8080""")
    for s in range(0, n // 10, 25):
        cluster.append(f"""apiVersion: linkerd.io/v1alpha2
kind: ServiceProfile
metadata:
  name: svc{s}.default.svc.cluster.local
spec:
  routes:
    - name: all
      condition:
        pathRegex: /.*
      timeout: 2s""")
    policy = "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\nmetadata:\n"
    for p in range(n // 10):
        cluster.append(f"""{policy}  name: p{p}
spec:
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: HTTPRoute
      name: r{p * 10 + 1}
  timeout:
    http:
      requestTimeout: 4s""")
    for g in range(0, gateways, 4):
        cluster.append(f"""{policy}  name: gp{g}
spec:
  targetRefs:
    - group: gateway.networking.k8s.io
      kind: Gateway
      name: gw{g}
      sectionName: http
  timeout:
    http:
      requestTimeout: 6s""")
    cluster.append(f"""{policy}  name: selected
spec:
  targetSelectors:
    - kind: Gateway
      matchLabels: {{tier: t1}}
  timeout:
    http:
      requestTimeout: 7s""")
    for k in range(n // 50):
        cluster.append(f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ing{k}
  annotations:
    konghq.com/plugins: rl{k % 5}
spec:
  ingressClassName: kong
  rules:
    - http:
        paths:
          - path: /ing{k}
            pathType: Prefix
            backend:
              service:
                name: svc{k}
                port: {{number: 8080}}""")
    for k in range(5):
        cluster.append(f"""apiVersion: configuration.konghq.com/v1
kind: KongPlugin
metadata:
  name: rl{k}
plugin: rate-limiting
config: {{minute: 10}}""")
    return {"cluster.yaml": cluster, **routes}


def kuma(n):
    documents = []
    for i in range(n):
        documents.append(f"""apiVersion: kuma.io/v1alpha1
kind: MeshHTTPRoute
metadata:
  name: r{i}
  namespace: kuma-demo
spec:
  to:
    - targetRef:
        kind: MeshService
        name: s{i}
      rules:
        - matches:
            - path:
                type: PathPrefix
                value: /r{i}
          default:
            backendRefs:
              - kind: MeshService
                name: s{i}""")
        documents.append(f"""apiVersion: kuma.io/v1alpha1
kind: MeshTimeout
metadata:
  name: t{i}
  namespace: kuma-demo
spec:
  to:
    - targetRef:
        kind: MeshHTTPRoute
        name: r{i}
      default:
        http:
          requestTimeout: 3s""")
    return {"mesh.yaml": documents}


def measure(routeguard, root):
    runs = []
    for _ in range(int(os.environ.get("RUNS", "3"))):
        timed = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %M", routeguard, "lint", "--format", "json", "."],
            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        wall, user, rss = timed.stderr.strip().splitlines()[-1].split()
        runs.append((float(wall), float(user), int(rss)))
    return [statistics.median(values) for values in zip(*runs)]


def main():
    routeguard = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/routeguard")
    sizes = [int(size) for size in sys.argv[2:]] or [2_500, 5_000, 10_000, 20_000]
    print("| project | routes | wall | CPU | peak memory |\n|---|---|---|---|---|")
    for name, generate in (("gateway", gateway), ("kuma", kuma)):
        for n in sizes:
            with tempfile.TemporaryDirectory() as root:
                os.mkdir(os.path.join(root, ".git"))
                for file, documents in generate(n).items():
                    with open(os.path.join(root, file), "w") as out:
                        out.write("\n---\n".join(documents) + "\n")
                wall, user, rss = measure(routeguard, root)
                print(f"| {name} | {n:,} | {wall:.2f} s | {user:.2f} s | {rss / 1024:.0f} MB |", flush=True)


if __name__ == "__main__":
    main()
