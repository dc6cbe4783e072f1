using ChaosEdge.Kubernetes;
using ChaosEdge.Provision.K3s;

namespace ChaosEdge.Provision.Cluster;

public sealed partial class ClusterProvisioner
{
    /// <summary>The MetalLB release whose images the lab's manifest names (the lab models them; nothing is pulled).</summary>
    public const string MetalLbVersion = "v0.15.2";

    private bool MetalLb => inventory.ServiceVipsByMetalLb;

    /// <summary>
    /// MetalLB in L2 mode as the K3s plan applies it: the release manifest (here the lab's <see cref="LabMetalLbManifest"/>,
    /// with MetalLB's own names, images and environment, whose containers the lab's kubelet runs as its models of
    /// MetalLB's speaker and controller), waited for until running, then the plan's own address pool and L2
    /// advertisement (<see cref="K3sManifests.MetalLbPool"/>).
    /// </summary>
    private async Task ApplyMetalLbAsync(KubeClient client, CancellationToken cancellationToken)
    {
        if (!MetalLb)
        {
            return;
        }

        Report($"MetalLB {MetalLbVersion} (L2) for the service VIPs {string.Join(", ", inventory.ServiceVipPool.Take(1))}…");
        var manifest = ManifestYaml.Parse(LabMetalLbManifest(), ArtifactSet.MetalLbManifest);
        if (LabImages.Problems(manifest, ArtifactSet.MetalLbManifest) is { Count: > 0 } problems)
        {
            throw new ProvisionStepException("MetalLB", null, string.Join(" ", problems));
        }

        await Executor.ApplyObjectsAsync(client, manifest, cancellationToken).ConfigureAwait(false);
        await Executor.ApplyObjectsAsync(client, ManifestYaml.Parse(new K3sManifests(inventory).MetalLbPool(), "chaosedge-metallb-pool.yaml"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The lab's stand-in for MetalLB's <c>metallb-native.yaml</c>: the namespace, the two custom resources L2 mode uses
    /// (<c>IPAddressPool</c>, <c>L2Advertisement</c>; schemas left open), the controller Deployment and the speaker
    /// DaemonSet with MetalLB's images, arguments and environment (host network, memberlist on port 7946). Webhooks,
    /// BGP, BFD and community resources are left out: L2 mode does not use them.
    /// </summary>
    public static string LabMetalLbManifest() => $$"""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: metallb-system
          labels: { pod-security.kubernetes.io/enforce: privileged }
        {{Crd("IPAddressPool", "ipaddresspools")}}
        {{Crd("L2Advertisement", "l2advertisements")}}
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: { name: controller, namespace: metallb-system, labels: { app: metallb } }
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: { name: speaker, namespace: metallb-system, labels: { app: metallb } }
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: controller, namespace: metallb-system, labels: { app: metallb, component: controller } }
        spec:
          replicas: 1
          selector: { matchLabels: { app: metallb, component: controller } }
          template:
            metadata: { labels: { app: metallb, component: controller } }
            spec:
              serviceAccountName: controller
              nodeSelector: { kubernetes.io/os: linux }
              containers:
                - name: controller
                  image: quay.io/metallb/controller:{{MetalLbVersion}}
                  args: ["--port=7472", "--log-level=info"]
                  env:
                    - { name: METALLB_NAMESPACE, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
        ---
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: { name: speaker, namespace: metallb-system, labels: { app: metallb, component: speaker } }
        spec:
          selector: { matchLabels: { app: metallb, component: speaker } }
          template:
            metadata: { labels: { app: metallb, component: speaker } }
            spec:
              serviceAccountName: speaker
              hostNetwork: true
              nodeSelector: { kubernetes.io/os: linux }
              tolerations:
                - { key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule }
                - { key: node-role.kubernetes.io/master, operator: Exists, effect: NoSchedule }
              containers:
                - name: speaker
                  image: quay.io/metallb/speaker:{{MetalLbVersion}}
                  args: ["--port=7472", "--log-level=info"]
                  env:
                    - { name: METALLB_NODE_NAME, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } }
                    - { name: METALLB_POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
                    - { name: METALLB_HOST, valueFrom: { fieldRef: { fieldPath: status.hostIP } } }
                    - { name: METALLB_ML_BIND_ADDR, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
                    - { name: METALLB_ML_LABELS, value: "app=metallb,component=speaker" }
                    - { name: METALLB_ML_BIND_PORT, value: "7946" }
                    - { name: METALLB_ML_NAMESPACE, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }

        """;

    /// <summary>A MetalLB custom resource definition (<c>metallb.io/v1beta1</c>, namespaced), its schema left open.</summary>
    private static string Crd(string kind, string plural) => $$"""
        ---
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: { name: {{plural}}.metallb.io }
        spec:
          group: metallb.io
          names: { kind: {{kind}}, listKind: {{kind}}List, plural: {{plural}}, singular: {{kind.ToLowerInvariant()}} }
          scope: Namespaced
          versions:
            - name: v1beta1
              served: true
              storage: true
              schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
        """;
}
