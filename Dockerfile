# The epm-gate container image: the gate as PID 1, so CI cancel signals reach it.
#
#   podman build -t epm-gate .        (or: docker build -t epm-gate .)
#   docker run --rm -e EPM_URL -e EPM_USERNAME -e EPM_PASSWORD -e EPM_JOB_NAME \
#     -v "$PWD:/work" --user "$(id -u):$(id -g)" epm-gate
#
# PYTHON_IMAGE may name another Debian-based Python image, for example a mirror.
ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY . .
# Install into a venv, then remove pip and setuptools from it: the runtime image
# receives only the venv, so no installer or build tool reaches it.
RUN python3 -m venv /opt/epm-gate \
    && /opt/epm-gate/bin/pip install --quiet . \
    && /opt/epm-gate/bin/python -m pip uninstall --quiet --yes pip setuptools \
    && /opt/epm-gate/bin/epm-gate --version

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/epm-gate /opt/epm-gate
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /work epm \
    && mkdir /work \
    && chown epm:epm /work
ENV PATH=/opt/epm-gate/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /work
# Exec form: the gate runs as PID 1 and receives SIGINT and SIGTERM itself. It installs
# handlers for both, which PID 1 needs because the kernel applies no default action
# to signals PID 1 does not handle.
ENTRYPOINT ["epm-gate"]
