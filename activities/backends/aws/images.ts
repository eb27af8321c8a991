import packageJson from '../../../package.json';
import type { BuiltinAlgorithm } from '../../../common/types/algorithm';
import { invalidInput } from '../../../common/errors';
import type { AlgorithmImage, ProcessingImage } from '../types';

/**
 * ECR accounts of SageMaker's built-in algorithm images per region, as the SageMaker Python SDK
 * publishes them (aws/sagemaker-python-sdk, sagemaker-core/src/sagemaker/core/image_uri_config/
 * xgboost.json, version 1.7-1, training and inference scopes alike, and linear-learner.json,
 * version 1; snapshot of 2026-08-21, commit a2481266). The us-iso* regions are left out: their
 * ECR domains are not amazonaws.com. Regions missing here need MLOPS_AWS_XGBOOST_IMAGE /
 * MLOPS_AWS_LINEAR_LEARNER_IMAGE.
 */
const XGBOOST_ACCOUNTS: Record<string, string> = {
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'ca-west-1': '190319476487',
  'cn-north-1': '450853457545',
  'cn-northwest-1': '451049120500',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-gov-east-1': '237065988967',
  'us-gov-west-1': '414596584902',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};

const LINEAR_LEARNER_ACCOUNTS: Record<string, string> = {
  'af-south-1': '455444449433',
  'ap-east-1': '286214385809',
  'ap-northeast-1': '351501993468',
  'ap-northeast-2': '835164637446',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '991648021394',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '475088953585',
  'ap-southeast-2': '712309505854',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '469771592824',
  'ca-west-1': '190319476487',
  'cn-north-1': '390948362332',
  'cn-northwest-1': '387376663083',
  'eu-central-1': '664544806723',
  'eu-central-2': '680994064768',
  'eu-north-1': '669576153137',
  'eu-south-1': '257386234256',
  'eu-south-2': '104374241257',
  'eu-west-1': '438346466558',
  'eu-west-2': '644912444149',
  'eu-west-3': '749696950732',
  'il-central-1': '898809789911',
  'me-central-1': '272398656194',
  'me-south-1': '249704162688',
  'sa-east-1': '855470959533',
  'us-east-1': '382416733822',
  'us-east-2': '404615174143',
  'us-gov-east-1': '237065988967',
  'us-gov-west-1': '226302683700',
  'us-west-1': '632365934929',
  'us-west-2': '174872318107',
};

export const XGBOOST_VERSION = '1.7-1';
export const LINEAR_LEARNER_VERSION = '1';
/** The project's own image (algorithms/ with its Python environment), pushed to the account's ECR by `make image-push`. */
export const PROJECT_IMAGE_REPOSITORY = 'temporal-mlops-algorithms';
/** Its tag: the project's version, as `make image-push` tags it. */
export const PROJECT_IMAGE_TAG = packageJson.version;

/** The Python module each project-image job runs (as `python3 -m <module> <arguments>`). */
export const PROCESSING_MODULES: Record<ProcessingImage, string> = {
  preprocess: 'mlops_algorithms.preprocess',
  'model-monitor': 'mlops_algorithms.monitor',
};

function ecrDomain(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

export function ecrImage(account: string, region: string, repository: string, tag: string): string {
  return `${account}.dkr.ecr.${region}.${ecrDomain(region)}/${repository}:${tag}`;
}

/** Regions with built-in images of both algorithms. */
export function builtInRegions(): string[] {
  return Object.keys(XGBOOST_ACCOUNTS).filter((r) => r in LINEAR_LEARNER_ACCOUNTS);
}

/** The built-in image of an algorithm in a region, or undefined when the table has no entry. */
export function builtInImage(image: BuiltinAlgorithm, region: string): string | undefined {
  const account = (image === 'xgboost' ? XGBOOST_ACCOUNTS : LINEAR_LEARNER_ACCOUNTS)[region];
  if (!account) return undefined;
  return image === 'xgboost' ? ecrImage(account, region, 'sagemaker-xgboost', XGBOOST_VERSION) : ecrImage(account, region, 'linear-learner', LINEAR_LEARNER_VERSION);
}

export type AwsImages = Record<BuiltinAlgorithm | ProcessingImage, string>;

/**
 * The image URI of an algorithm: a built-in's from the resolved table, a bring-your-own
 * algorithm's from its project file (`algorithms[].image`); one without an image cannot run on
 * SageMaker (a permanent error naming the algorithm).
 */
export function algorithmImageUri(images: AwsImages, image: AlgorithmImage): string {
  if (typeof image === 'string') return images[image];
  if (!image.byo.image) throw invalidInput(`the bring-your-own algorithm '${image.byo.name}' has no container image: set algorithms[].image (an ECR URI) in its project file to run it on the aws backend`);
  return image.byo.image;
}

/**
 * What SageMaker's built-in algorithm images accept, where it differs from a custom image (the
 * local algorithms follow the custom-image contract). A custom image set by MLOPS_AWS_*_IMAGE
 * gets the request as the activities wrote it.
 */
export interface BuiltInContract {
  /** CreateTrainingJob refuses MetricDefinitions for built-in algorithms ("You can't override the metric definitions"). */
  metricDefinitions: false;
  /** Channels the algorithm accepts; another channel fails the job ("Extraneous channel found"). */
  channels: readonly string[];
  /** Response types of the serving container; text/csv is missing for Linear Learner (JSON, JSON Lines, RecordIO only). */
  accepts: readonly ('text/csv' | 'application/jsonlines' | 'application/json')[];
}

const BUILT_IN_CONTRACTS: Record<BuiltinAlgorithm, BuiltInContract> = {
  xgboost: { metricDefinitions: false, channels: ['train', 'validation'], accepts: ['text/csv', 'application/jsonlines', 'application/json'] },
  'linear-learner': { metricDefinitions: false, channels: ['train', 'validation', 'test'], accepts: ['application/jsonlines', 'application/json'] },
};

/** The built-in contract when `uri` is the built-in image of that algorithm (any region, any tag), else undefined. */
export function builtInContract(image: AlgorithmImage, uri: string): BuiltInContract | undefined {
  if (typeof image !== 'string') return undefined; // a bring-your-own container follows the custom-image contract
  const repository = image === 'xgboost' ? 'sagemaker-xgboost' : 'linear-learner';
  const accounts = new Set(Object.values(image === 'xgboost' ? XGBOOST_ACCOUNTS : LINEAR_LEARNER_ACCOUNTS));
  const m = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^:@]+)[:@]/.exec(uri);
  return m && accounts.has(m[1]!) && m[2] === repository ? BUILT_IN_CONTRACTS[image] : undefined;
}

/** The project image in the role's account: what `make image-push` pushes there. */
export function projectImage(region: string, roleArn: string, repository = PROJECT_IMAGE_REPOSITORY): string | undefined {
  const account = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(roleArn)?.[1];
  return account ? ecrImage(account, region, repository, PROJECT_IMAGE_TAG) : undefined;
}

/**
 * Every image URI the backend uses: overrides first, else the built-in table for the algorithms
 * and the project image in the role's account for processing jobs.
 */
export function resolveImages(options: {
  region: string;
  roleArn: string;
  overrides?: Partial<AwsImages>;
  /** ECR repository of the project image (MLOPS_AWS_ECR_REPOSITORY). */
  repository?: string;
}): AwsImages {
  const { region, roleArn, overrides = {} } = options;
  const project = projectImage(region, roleArn, options.repository);
  const pick = (key: keyof AwsImages, fallback: string | undefined, envName: string): string => {
    const value = overrides[key] ?? fallback;
    if (!value) throw new Error(`no ${key} image for region ${region}: set ${envName}`);
    return value;
  };
  return {
    xgboost: pick('xgboost', builtInImage('xgboost', region), 'MLOPS_AWS_XGBOOST_IMAGE'),
    'linear-learner': pick('linear-learner', builtInImage('linear-learner', region), 'MLOPS_AWS_LINEAR_LEARNER_IMAGE'),
    preprocess: pick('preprocess', project, 'MLOPS_AWS_PROCESSING_IMAGE'),
    'model-monitor': pick('model-monitor', overrides.preprocess ?? project, 'MLOPS_AWS_MODEL_MONITOR_IMAGE'),
  };
}
