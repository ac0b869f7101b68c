"""Settings: every address, path and limit of the server, from CNNPLAY_* env vars."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1 << 20
GiB = 1 << 30


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CNNPLAY_")

    host: str = "127.0.0.1"  # exposing the server is an explicit --host
    port: int = 8000
    data_dir: Path = Field(default_factory=lambda: Path.home() / ".cnnplay")
    # Extra Host header values to accept (DNS rebinding guard); "*" accepts any.
    allowed_hosts: list[str] = Field(default_factory=list)

    # --- limits: a request past one gets a 4xx naming it ---------------------
    max_body_bytes: int = 2 * MiB  # a JSON request body
    max_upload_bytes: int = 20 * MiB  # an uploaded image or archive
    max_image_pixels: int = 40_000_000  # decoded width * height
    max_layers: int = 2_000  # layers in one spec, nested ones included
    max_depth: int = 32  # nesting of blocks
    max_params: int = 250_000_000  # to build a network (VGG-19 has 143.7M)
    max_activation_bytes: int = 1024 * MiB  # one image through the network
    max_jobs: int = 2  # training jobs running at once
    # A request that arrives while the server is still loading (server/loading.py) waits
    # at most this long for it, then gets a 503.
    start_wait_s: float = Field(120.0, gt=0)
    max_queued_jobs: int = 20  # waiting behind them
    max_train_params: int = 5_000_000  # a network trained on the CPU (issue 6)
    max_misclassified: int = 500  # wrong held-out samples a finished run keeps
    max_misclassified_page: int = 100  # examples in one /api/runs/{id}/misclassified answer
    max_archive_entries: int = 20_000
    max_archive_bytes: int = 500 * MiB  # an archive once unpacked
    max_archive_ratio: int = 100  # unpacked / packed, per entry
    # uploaded datasets (POST /api/datasets, a zip of one folder per class; issue 6)
    max_archive_pixels: int = 200_000_000  # all images of one zip together (headers)
    max_dataset_images: int = 10_000  # images in one zip
    max_dataset_classes: int = 100  # class folders in one zip
    max_upload_datasets: int = 50  # uploaded datasets kept under <data dir>/datasets
    dataset_image_side: int = 64  # uploads are centre-cropped and stored side x side
    dataset_held_fraction: float = 0.2  # held out per class (stratified, seeded)
    # feature maps (issue 5): a layer page and the built-network cache
    max_feature_channels: int = 64  # channels in one /api/features/layer answer
    max_feature_values: int = 4_000_000  # values in one page (VGG-16 conv1 at 224: 3.2M)
    feature_cache_networks: int = 4  # built networks kept (LRU)
    feature_cache_bytes: int = 256 * MiB  # layer outputs of recent overviews, kept for pages
    # the weights library (issues 5, 7): imported .safetensors files (POST /api/weights)
    # one imported weights file: torchvision's VGG-19 (BN) .pth is 548 MB (issue 17)
    max_weights_bytes: int = 600 * MiB
    max_imported_weights: int = 200  # files kept under <data dir>/weights
    # official ImageNet weights (issue 17): a download's URL is base + its file name
    pretrained_base_url: str = "https://download.pytorch.org/models/"
    max_library_bytes: int = 8 * GiB  # disk of <data dir>/weights + downloads in flight
    max_downloads: int = 2  # ImageNet weight files downloading at once (others wait)
    # --- the convolution animator (POST /api/convolve, /api/images) ---------
    max_conv_side: int = 256  # an image input is downscaled to this longer side
    max_conv_channels: int = 16  # input channels and filters
    max_conv_kernel: int = 15  # f
    conv_window_cells: int = 8  # output cells a side sent as numbers (the rest: PNG)
    max_images: int = 32  # uploads kept in memory (POST /api/images), oldest leave first
    max_export_params: int = 70_000_000  # an ONNX file holds every weight (VGG: 550 MB)
    max_saved_networks: int = 10_000  # designs in the store (POST /api/networks)
    # --- inside learning (issue 8) -------------------------------------------
    max_optim_steps: int = 500  # optimizer steps per path (POST /api/learning/optimizers)
    max_ewa_points: int = 5_000  # series length (POST /api/learning/ewa)
    max_gradcheck_samples: int = 20  # parameters sampled per layer (POST /api/learning/gradcheck)
    max_gradcheck_params: int = 2_000_000  # network size for a float64 gradient check
    max_modes_batch: int = 64  # batch rows (POST /api/learning/modes)
    max_histogram_bins: int = 400  # GET /api/learning/weights/{id}/histogram
    max_gate_values: int = 1_000_000  # steps x units x (gates + 2), POST /api/learning/gates
    # gradient flow and initialization (POST /api/learning/gradflow, /init)
    max_gradflow_batch: int = 512  # MNIST images in the at-initialization batch
    max_gradflow_depth: int = 40  # linear layers of a comparison network
    max_gradflow_width: int = 1024  # units per layer of a comparison network
    max_init_depth: int = 50  # layers of the initialization stack
    max_init_width: int = 1024  # units per layer of it
    max_init_batch: int = 2048  # random inputs pushed through it
    max_init_macs: int = 500_000_000  # depth * width^2 * batch * inits (~0.5 s on one core)

    # --- the transposed-convolution panel (issue 16, POST /api/learning/transposed) ---
    max_transposed_input: int = 8  # input height and width: n*n steps of (o, o) come back
    max_transposed_kernel: int = 5  # kernel height and width

    # --- training from library weights, datasets at ImageNet size (issue 17, engineer D) ---
    max_finetune_params: int = 30_000_000  # a run from init_from weights (ResNet-50: 25.6M)
    dataset_max_side: int = 224  # uploads keep up to this side (>= dataset_image_side)
    max_dataset_bytes: int = 512 * MiB  # one uploaded dataset as stored (3 x side x side each)
    # --- Inside the network while it trains (issue 19): "snapshot" run events ---
    snapshot_interval_s: float = Field(0.5, ge=0.05)  # at most one snapshot per this long
    # A snapshot also waits its own cost / this: snapshots stay this share of training time.
    snapshot_cost_fraction: float = Field(0.04, gt=0, le=0.5)
    snapshot_channels: int = Field(8, ge=1, le=64)  # feature maps per layer
    snapshot_tile: int = Field(28, ge=4, le=64)  # a map's longer side (bigger ones pooled)
    snapshot_layers: int = Field(24, ge=2, le=200)  # layers shown (evenly chosen)
    snapshot_filters: int = Field(32, ge=1, le=256)  # first-layer filters
    # Bytes of snapshot events kept per run; past it older ones are thinned evenly.
    snapshot_run_bytes: int = Field(4 * MiB, ge=64 * 1024)
    # --- the job executor (issues 13, 20, 14: engineer jobs; server/jobs/) ---
    # wall-clock seconds a run trains before it pauses with its checkpoint (resumable,
    # and each resume gets this long again); 0 = no limit
    max_run_seconds: int = 4 * 3600
    # Idle workers kept with torch imported (~0.3 GB each, no CPU), warmed one at a time:
    # as many as max_jobs, so that the Train view's two-run races both start at once.
    warm_workers: int = 2
    # issue 15: where runs train. "local": worker processes on this machine; "ray": Ray
    # actors on a cluster (pip install -e ".[ray]" on every node), at ray_address, or a
    # Ray instance started on this machine when None.
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    # A Ray run asks for a GPU (and trains on cuda) when its network has at least this
    # many parameters and the cluster has a GPU free; smaller ones are faster on a CPU.
    ray_gpu_min_params: int = Field(1_000_000, ge=0)

    # --- sign-in and a class of users (issue 14) ---------------------------------
    # The teacher's token (CNNPLAY_TOKEN). None: `cnnplay serve` makes a random one, and
    # create_app makes one too, so an app is never open (uvicorn --factory included).
    token: str | None = None
    max_users: int = 200  # student accounts (POST /api/join, POST /api/users)
    max_user_jobs: int = 3  # one student's queued + running runs
    max_user_networks: int = 200  # one student's saved designs
    max_user_bytes: int = 2 * GiB  # one student's designs, datasets and weights files
    max_user_images: int = 8  # one user's uploaded images kept in memory (oldest leave)
    session_days: int = 30  # how long the sign-in cookie lasts
    max_auth_clients: int = 4096  # clients whose failed sign-ins are remembered (backoff)

    # --- streams, connections and disk (issue 13, engineer "streams") --------
    max_streams: int = 500  # event streams open at once, all clients together
    max_streams_per_client: int = 32  # per client address (and per user once signed in)
    stream_heartbeat_s: float = Field(15.0, gt=0)  # an SSE comment when nothing else came
    stream_read_threads: int = Field(4, ge=1)  # threads event streams may read SQLite on
    # A stream sends at most once a second, all new events in one write: per-write cost is
    # what 500 streams of a fast run spend (health p99 0.6 s at 0.5 s, 41 ms at 1 s).
    stream_batch_s: float = Field(1.0, ge=0)
    max_connections: int = 1000  # uvicorn's limit_concurrency: 503 past it
    header_timeout_s: float = Field(10.0, gt=0)  # a request's headers, from its first byte
    keep_alive_s: int = Field(5, ge=1)  # an idle kept-alive connection is closed after it
    max_header_bytes: int = 16 * 1024  # one request's line and headers (h11)
    shutdown_grace_s: int = 5  # open streams and requests at Ctrl-C, then they are cut
    max_runs: int = 1_000  # training runs kept (POST /api/runs: 409 past it)
    max_run_event_bytes: int = 2 * GiB  # the event JSON of all runs kept
    max_run_iter_points: int = Field(4_000, ge=10)  # iteration points a finished run keeps
    max_datasets_bytes: int = 4 * GiB  # all uploaded datasets as stored
    # --- bounded memory (issue 13, bounds): caches and stores in bytes -------
    network_cache_bytes: int = 768 * MiB  # params + buffers of built networks kept (VGG-16: 553 MB)
    image_store_bytes: int = 256 * MiB  # decoded pixels of uploads kept (POST /api/images)
    upload_chunk_bytes: int = 1 * MiB  # a weights upload is copied to disk in chunks this big

    # --- fast where a user waits (issue 20) ---
    # Seeded random-init weights of built networks, kept as files under <data dir>/init
    # and memory-mapped (least recently used leave first; 0: build them each time).
    init_store_bytes: int = Field(2 * GiB, ge=0)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "cnnplay.sqlite3"
