// The trust chain, step 3 of 3: the consumer. Deploys a certified image by its digest only: notary.verifiedImage
// verifies, from the certifier's pinned root, that the signer `qa` signs the tag, and gives `NAME@sha256:…`. A tag
// that is not certified fails `pulumi preview` and `pulumi up` with the reason, and nothing is deployed.
//
//   pulumi config set notary:serverUrl https://notary.example.com:4443
//   pulumi config set image registry.example.com/certified/app:v1
//   pulumi config set rootKeyId <the certifier's rootKeyId output>
//   pulumi up
//
// `Deployment` below stands in for what runs the image (a Kubernetes Deployment, an ECS service, …): pass `image` to it.
import * as pulumi from "@pulumi/pulumi";
import * as notary from "pulumi-notary";

const config = new pulumi.Config();
const image = notary.verifiedImage({ image: config.require("image"), rootKeyId: config.require("rootKeyId"), signers: ["qa"] });

// A stand-in deployment that only records the image it runs.
const runsImage: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: "deployment", outs: inputs };
  },
  async diff(_id, olds, news) {
    return { changes: olds.image !== news.image };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
};
class Deployment extends pulumi.dynamic.Resource {
  declare readonly image: pulumi.Output<string>;
  constructor(name: string, args: { image: pulumi.Input<string> }) {
    super(runsImage, name, args, {}, "consumer", "Deployment");
  }
}

// e.g. new k8s.apps.v1.Deployment("app", { spec: { template: { spec: { containers: [{ name: "app", image }] } } } });
export const deployed = new Deployment("app", { image }).image;
