# ttm-sim as a container image: the package built and packed from this repository (npm pack builds
# dist/ and makes the tarball a user would install), then installed globally in a clean image with its
# runtime dependencies only, so `ttm-sim` is on PATH. The Kubernetes recipe (deploy/k8s/, README
# "A Kubernetes Indexed Job") runs it.
#
#   docker build -t ttm-sim:0.1.0 .

FROM node:20-bookworm-slim AS pack
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# npm pack runs the prepare script: the build into dist/. Its destination must exist.
RUN mkdir /pkg && npm pack --pack-destination /pkg

FROM node:20-bookworm-slim
COPY --from=pack /pkg/ /pkg/
RUN npm install --global --no-audit --no-fund /pkg/*.tgz && rm -rf /pkg && npm cache clean --force
USER node
WORKDIR /home/node
CMD ["ttm-sim", "--help"]
